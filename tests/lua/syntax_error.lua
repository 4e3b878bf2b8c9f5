-- syntax_error.lua: a malformed script; the error names this file and line 4.
local results = metriq.results()
results:write{a = 1}
local x = = 2
