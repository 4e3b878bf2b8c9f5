# install.cmake: `cmake --install` into a scratch prefix, the example built
# against it through pkg-config, and the installed metriq run outside the
# source tree (install_test.sh).
include(GNUInstallDirs)  # CMAKE_INSTALL_LIBDIR, as the install section uses it
set(MQ_INSTALL_TEST_CFLAGS "")
if(METRIQ_SANITIZE)
  set(MQ_INSTALL_TEST_CFLAGS "-fsanitize=address,undefined")
endif()
add_test(NAME install COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/install_test.sh
         ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/install-test
         ${CMAKE_INSTALL_LIBDIR} ${CMAKE_C_COMPILER} "${MQ_INSTALL_TEST_CFLAGS}")
set_tests_properties(install PROPERTIES TIMEOUT 300)
