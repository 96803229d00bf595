-- GET with the caller's bearer token (BENCH_TOKEN; none when empty).
local token = os.getenv("BENCH_TOKEN") or ""
wrk.method = "GET"
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
