-- exit_mid.lua: os.exit mid-grid (reliability_test.sh).  EXIT_AT=K:
-- os.exit(EXIT_CODE, default 0) in the K-th cell, after its row; 0: never.
local exit_at = tonumber(os.getenv("EXIT_AT") or "0")
local code = tonumber(os.getenv("EXIT_CODE") or "0")
local r = metriq.results()
for cell in metriq.grid{k = {1, 2, 3, 4, 5, 6}} do
  r:write{k = cell.k, x = metriq.uniform(1)[1]}
  if cell.k == exit_at then
    pcall(os.exit, code) -- a pcall does not keep the script going
    error("os.exit returned")
  end
end
