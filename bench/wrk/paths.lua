-- GET a random path of a list (BENCH_PATHS_FILE, one per line) with the caller's bearer token.
local token = os.getenv("BENCH_TOKEN") or ""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS_FILE")) do
  if line ~= "" then paths[#paths + 1] = line end
end
math.randomseed(os.time())
wrk.method = "GET"
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
function request()
  return wrk.format(nil, paths[math.random(#paths)])
end
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
