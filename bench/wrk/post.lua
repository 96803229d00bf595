-- POST of a JSON body (read from BENCH_BODY_FILE) with the caller's bearer token (BENCH_TOKEN).
local token = os.getenv("BENCH_TOKEN") or ""
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
if token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
