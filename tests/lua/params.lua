-- params.lua: --set values reach the script typed by their defaults.
-- ctest runs it with --set n=1024 --set x=2.5 --set flag=false --set name=8
-- --set list=1,inf,e4m3,true --set top=-inf --set one=3
local P = metriq.params{
  n = 512, x = 1, flag = true, name = "e4m3", list = {}, top = 0, one = {1, 2},
  untouched = "default",
}
local function eq(a, b, what)
  if a ~= b then error(("%s: got %s (%s), want %s"):format(what, tostring(a), math.type(a) or type(a), tostring(b)), 2) end
end
eq(P.n, 1024, "integer"); eq(math.type(P.n), "integer", "integer stays integer")
eq(P.x, 2.5, "float")
eq(P.flag, false, "boolean")
eq(P.name, "8", "a string parameter keeps the text")
eq(#P.list, 4, "list length")
eq(P.list[1], 1, "list number"); eq(P.list[2], math.huge, "list inf")
eq(P.list[3], "e4m3", "list string"); eq(P.list[4], true, "list boolean")
eq(P.top, -math.huge, "-inf")
eq(type(P.one), "table", "one value for a list parameter is a list"); eq(P.one[1], 3, "its item")
eq(P.untouched, "default", "default kept")
print("params: all checks passed")
