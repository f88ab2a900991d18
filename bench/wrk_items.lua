-- wrk script: replays a file of prepared requests, one line each, tab-separated:
--   METHOD  PATH  TOKEN  IDEMPOTENCY-KEY (or -)  JSON BODY (may be empty)
-- Thread t of T takes lines t, t+T, t+2T, …; each connection of a thread takes the thread's next line.
-- When a thread has sent all its lines it starts again from its first one: the same key and body
-- again, which the portal must answer with the first result (an idempotent replay), never a second
-- payment. The counts per status, and how many requests were replays, are printed as one JSON line.
--
--   wrk -t2 -c16 -d60s -s bench/wrk_items.lua http://127.0.0.1:8765 -- items.tsv 2   (file, threads)

local threads = {}
local counter = 0

function setup(thread)
    thread:set("id", counter)
    table.insert(threads, thread)
    counter = counter + 1
end

requests, n, i, replays, statuses = {}, 0, 0, 0, {}

function init(args)
    local path, nthreads = args[1], tonumber(args[2])
    local line_no = 0
    for line in io.lines(path) do
        if line_no % nthreads == id then
            local method, url, token, key, body = line:match("^(%S+)\t(%S+)\t(%S+)\t(%S+)\t?(.*)$")
            local headers = { ["Authorization"] = "Token " .. token, ["Accept-Language"] = "zh-hans" }
            if key ~= "-" then headers["Idempotency-Key"] = key end
            if body ~= nil and body ~= "" then
                headers["Content-Type"] = "application/json"
            else
                body = nil
            end
            n = n + 1
            requests[n] = wrk.format(method, url, headers, body)
        end
        line_no = line_no + 1
    end
end

local wrapped = false

function request()
    i = i + 1
    if i > n then
        i = 1
        wrapped = true
    end
    if wrapped then replays = replays + 1 end
    return requests[i]
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests_stats)
    local merged, total_replays, lines = {}, 0, 0
    for _, thread in ipairs(threads) do
        local s = thread:get("statuses")
        for code, count in pairs(s) do
            merged[tostring(code)] = (merged[tostring(code)] or 0) + count
        end
        total_replays = total_replays + (thread:get("replays") or 0)
        lines = lines + (thread:get("n") or 0)
    end
    local parts = {}
    for code, count in pairs(merged) do
        table.insert(parts, string.format('"%s": %d', code, count))
    end
    io.write(string.format(
        'BENCH_JSON {"duration_us": %d, "requests": %d, "bytes": %d, ' ..
        '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
        '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d}, ' ..
        '"statuses": {%s}, "replays": %d, "lines": %d}\n',
        summary.duration, summary.requests, summary.bytes,
        summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
        summary.errors.timeout,
        latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
        latency:percentile(99), latency.max,
        table.concat(parts, ", "), total_replays, lines))
end
