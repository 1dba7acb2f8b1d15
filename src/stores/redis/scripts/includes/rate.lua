--[[
  GCRA rate limits, core/scheduling.ts mirrored to the millisecond (rateIntervalMs, rateSlotAt,
  rateTatAfter; keep them in step). A queue's limit is the meta's `rate` ('count periodMs', from
  QPOLICY … RATE), its state the meta's `tat` (not journaled anywhere: a queue collected or flushed
  starts with a fresh burst).
]]

-- built on first use, as includes/lanes.lua's functions: a plain queue's take creates none
local ratesBuilt
local function rates()
  if ratesBuilt then return ratesBuilt end
  -- { count, periodMs } of a 'count periodMs' text, or nil
  local function parseRate(text)
    if not text then return nil end
    local count, period = string.match(text, '^(%d+) (%d+)$')
    return { count = tonumber(count), periodMs = tonumber(period) }
  end
  local function rateIntervalMs(limit) return limit.periodMs / limit.count end
  -- the earliest time a delivery is allowed: now or later
  local function rateSlotAt(tat, at, limit)
    local allowedAt = tat - limit.periodMs + rateIntervalMs(limit)
    if allowedAt > at then return math.ceil(allowedAt) end
    return at
  end
  -- tat after one delivery at `at`
  local function rateTatAfter(tat, at, limit) return math.max(tat, at) + rateIntervalMs(limit) end
  -- tat as the meta keeps it: exact (%.17g), never in a form tonumber cannot read back
  local function rateText(tat) return string.format('%.17g', tat) end
  ratesBuilt = { parse = parseRate, slotAt = rateSlotAt, tatAfter = rateTatAfter, text = rateText }
  return ratesBuilt
end
