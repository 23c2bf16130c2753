-- wrk script for bench/settle.py: POST /api/v1/charge-orders with a unique order_no per request.
-- Arguments (after wrk's "--"): api_key members prefix start_time end_time
-- order_no = <prefix>-<wrk thread id>-<counter>; members are spread so that concurrent requests of
-- one thread (consecutive counters) and of different threads (far-apart offsets) hit different members;
-- every other request asks for the best voucher ("auto"), the rest for none (null).

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  members = tonumber(args[2])
  prefix, start_time, end_time = args[3], args[4], args[5]
  counter, created, other_2xx, non_2xx = 0, 0, 0, 0
  first_error = ""
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end

function request()
  counter = counter + 1
  local member = (tid * 7919 + counter) % members
  local voucher = (counter % 2 == 0) and '"auto"' or "null"
  local body = string.format(
    '{"order_no":"%s-%d-%d","member_id":"bm%05d","station_id":"S%d","start_time":"%s","end_time":"%s",'
      .. '"energy_kwh":"20.5","elec_fee_fen":2000,"service_fee_fen":800,"voucher_id":%s}',
    prefix, tid, counter, member, counter % 4 + 1, start_time, end_time, voucher)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status >= 200 and status < 300 then
    other_2xx = other_2xx + 1
  else
    non_2xx = non_2xx + 1
    if first_error == "" then first_error = status .. " " .. body end
  end
end

function done(summary, latency, requests)
  local c, o, n, e = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    o = o + thread:get("other_2xx")
    n = n + thread:get("non_2xx")
    if e == "" then e = thread:get("first_error") end
  end
  local errors = summary.errors
  io.write(string.format(
    'WRKJSON {"duration_us":%d,"responses":%d,"created_201":%d,"other_2xx":%d,"non_2xx":%d,'
      .. '"socket_errors":%d,"timeouts":%d,"latency_p50_ms":%.2f,"latency_p99_ms":%.2f,"first_error":"%s"}\n',
    summary.duration, summary.requests, c, o, n, errors.connect + errors.read + errors.write,
    errors.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000, string.sub(e:gsub('[%c"\\]', " "), 1, 300)))
end
