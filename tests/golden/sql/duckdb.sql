-- callsla 0.1.0 metric definitions as DuckDB SQL: one row per period, channel and queue ('*' = all),
-- with n<i>/d<i>/s<i>/u<i> = numerator, denominator, sample size and unsettled count of definition i.
--   0: offered channels=voice|chat
--   1: answered channels=voice|chat
--   2: abandoned channels=voice|chat
--   3: short_abandoned channels=voice|chat;short_abandon_s=5;short_inclusive=false
--   4: abandonment_rate channels=voice|chat;short_abandon_s=5;short_abandons=exclude;short_inclusive=false
--   5: service_level abandons=exclude_short;channels=voice|chat;inclusive=true;short_abandon_s=5;short_inclusive=false;threshold_s=20
--   6: asa channels=voice|chat
--   7: aht channels=voice|email|chat|social;components=talk|hold|wrap
--   8: fcr channels=voice|email|chat|social;denominator=handled;method=repeat_contact;scope=any_channel;window_days=7
--   9: csat channels=voice|email|chat|social;measure=top2_box;scale=1|5
--   10: response_time channels=email|social;threshold_s=86400
--   11: response_time_mean channels=email|social
--   12: response_time_percentile channels=email|social;percentile=90
WITH base AS (
  SELECT *,
    answered_at IS NOT NULL AS answered,
    epoch_ms(arrived_at) AS arrived_ms,
    epoch_ms(answered_at) AS answered_ms,
    epoch_ms(ended_at) AS ended_ms,
    epoch_us(arrived_at) AS arrived_us,
    epoch_us(answered_at) AS answered_us,
    epoch_us(ended_at) AS ended_us,
    coalesce(CAST(floor(wait_s * 1000 + 0.5) AS BIGINT), CASE WHEN answered_at IS NOT NULL THEN epoch_ms(answered_at) - epoch_ms(arrived_at) ELSE epoch_ms(ended_at) - epoch_ms(arrived_at) END) AS wait_ms,
    CAST(floor(talk_s * 1000 + 0.5) AS BIGINT) AS talk_ms, CAST(floor(hold_s * 1000 + 0.5) AS BIGINT) AS hold_ms, CAST(floor(wrap_s * 1000 + 0.5) AS BIGINT) AS wrap_ms,
    strftime(timezone('America/New_York', arrived_at), '%Y-%m') AS period,
    (SELECT max(epoch_us(arrived_at)) FROM interactions) AS as_of_us
  FROM interactions
  WHERE coalesce(direction, 'inbound') = 'inbound'
), flagged AS (
  SELECT *,
    CASE WHEN customer_id IS NULL THEN NULL ELSE coalesce(lead(arrived_ms) OVER (PARTITION BY customer_id ORDER BY arrived_ms, interaction_id) - arrived_ms <= 604800000, false) END AS rep8
  FROM base
), additive AS (
  SELECT period, CASE WHEN grouping(channel) = 1 THEN '*' ELSE channel END AS channel, CASE WHEN grouping(queue) = 1 THEN '*' ELSE queue END AS queue,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN 1 ELSE 0 END) AS n0,
  SUM(0) AS d0,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN 1 ELSE 0 END) AS s0,
  SUM(0) AS u0,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN CASE WHEN answered THEN 1 ELSE 0 END ELSE 0 END) AS n1,
  SUM(0) AS d1,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN 1 ELSE 0 END) AS s1,
  SUM(0) AS u1,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN CASE WHEN NOT answered THEN 1 ELSE 0 END ELSE 0 END) AS n2,
  SUM(0) AS d2,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN 1 ELSE 0 END) AS s2,
  SUM(0) AS u2,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN CASE WHEN NOT answered AND wait_ms < 5000 THEN 1 ELSE 0 END ELSE 0 END) AS n3,
  SUM(0) AS d3,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN 1 ELSE 0 END) AS s3,
  SUM(0) AS u3,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN CASE WHEN NOT answered THEN 1 ELSE 0 END - CASE WHEN NOT answered AND wait_ms < 5000 THEN 1 ELSE 0 END ELSE 0 END) AS n4,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN 1 - CASE WHEN NOT answered AND wait_ms < 5000 THEN 1 ELSE 0 END ELSE 0 END) AS d4,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN 1 ELSE 0 END) AS s4,
  SUM(0) AS u4,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN CASE WHEN answered AND wait_ms <= 20000 THEN 1 ELSE 0 END ELSE 0 END) AS n5,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN 1 - CASE WHEN NOT answered AND wait_ms < 5000 THEN 1 ELSE 0 END ELSE 0 END) AS d5,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN 1 ELSE 0 END) AS s5,
  SUM(0) AS u5,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN CASE WHEN answered THEN coalesce(wait_ms, 0) ELSE 0 END ELSE 0 END) AS n6,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN CASE WHEN answered THEN 1 ELSE 0 END ELSE 0 END) AS d6,
  SUM(CASE WHEN channel IN ('voice', 'chat') THEN CASE WHEN answered THEN 1 ELSE 0 END ELSE 0 END) AS s6,
  SUM(0) AS u6,
  SUM(CASE WHEN answered THEN coalesce(talk_ms, 0) + coalesce(hold_ms, 0) + coalesce(wrap_ms, 0) ELSE 0 END) AS n7,
  SUM(CASE WHEN answered THEN 1 ELSE 0 END) AS d7,
  SUM(CASE WHEN answered THEN 1 ELSE 0 END) AS s7,
  SUM(0) AS u7,
  SUM(CASE WHEN answered AND customer_id IS NOT NULL AND arrived_us + 604800000000 <= as_of_us AND NOT coalesce(rep8, false) THEN 1 ELSE 0 END) AS n8,
  SUM(CASE WHEN answered AND customer_id IS NOT NULL AND arrived_us + 604800000000 <= as_of_us THEN 1 ELSE 0 END) AS d8,
  SUM(CASE WHEN answered THEN 1 ELSE 0 END) AS s8,
  SUM(CASE WHEN answered AND customer_id IS NOT NULL AND NOT (arrived_us + 604800000000 <= as_of_us) THEN 1 ELSE 0 END) AS u8,
  SUM(CASE WHEN csat IS NOT NULL AND csat >= 1 AND csat <= 5 AND csat >= 4 THEN 1 ELSE 0 END) AS n9,
  SUM(CASE WHEN csat IS NOT NULL AND csat >= 1 AND csat <= 5 THEN 1 ELSE 0 END) AS d9,
  SUM(CASE WHEN csat IS NOT NULL AND csat >= 1 AND csat <= 5 THEN 1 ELSE 0 END) AS s9,
  SUM(0) AS u9,
  SUM(CASE WHEN channel IN ('email', 'social') THEN CASE WHEN arrived_us + 86400000000 <= as_of_us AND answered_us IS NOT NULL AND answered_us - arrived_us <= 86400000000 THEN 1 ELSE 0 END ELSE 0 END) AS n10,
  SUM(CASE WHEN channel IN ('email', 'social') THEN CASE WHEN arrived_us + 86400000000 <= as_of_us THEN 1 ELSE 0 END ELSE 0 END) AS d10,
  SUM(CASE WHEN channel IN ('email', 'social') THEN 1 ELSE 0 END) AS s10,
  SUM(CASE WHEN channel IN ('email', 'social') THEN CASE WHEN NOT (arrived_us + 86400000000 <= as_of_us) THEN 1 ELSE 0 END ELSE 0 END) AS u10,
  SUM(CASE WHEN channel IN ('email', 'social') THEN CASE WHEN answered_us IS NOT NULL THEN (answered_us - arrived_us) // (1000) ELSE 0 END ELSE 0 END) AS n11,
  SUM(CASE WHEN channel IN ('email', 'social') THEN CASE WHEN answered_us IS NOT NULL THEN 1 ELSE 0 END ELSE 0 END) AS d11,
  SUM(CASE WHEN channel IN ('email', 'social') THEN 1 ELSE 0 END) AS s11,
  SUM(CASE WHEN channel IN ('email', 'social') THEN CASE WHEN answered_us IS NULL THEN 1 ELSE 0 END ELSE 0 END) AS u11,
  SUM(CASE WHEN channel IN ('email', 'social') AND answered_at IS NOT NULL THEN 1 ELSE 0 END) AS s12,
  SUM(CASE WHEN channel IN ('email', 'social') AND answered_at IS NULL THEN 1 ELSE 0 END) AS u12,
  quantile_disc(CASE WHEN channel IN ('email', 'social') AND answered_at IS NOT NULL THEN (epoch_us(answered_at) - epoch_us(arrived_at)) // (1000) END, 0.90) AS v12
FROM flagged
GROUP BY period, CUBE (channel, queue)
)
SELECT additive.period, additive.channel, additive.queue, additive.n0, additive.d0, additive.s0, additive.u0, additive.n1, additive.d1, additive.s1, additive.u1, additive.n2, additive.d2, additive.s2, additive.u2, additive.n3, additive.d3, additive.s3, additive.u3, additive.n4, additive.d4, additive.s4, additive.u4, additive.n5, additive.d5, additive.s5, additive.u5, additive.n6, additive.d6, additive.s6, additive.u6, additive.n7, additive.d7, additive.s7, additive.u7, additive.n8, additive.d8, additive.s8, additive.u8, additive.n9, additive.d9, additive.s9, additive.u9, additive.n10, additive.d10, additive.s10, additive.u10, additive.n11, additive.d11, additive.s11, additive.u11, CASE WHEN additive.s12 > 0 THEN greatest(1, (90 * additive.s12 + 99) // (100)) ELSE 0 END AS n12, additive.s12 AS d12, additive.s12, additive.u12, additive.v12
FROM additive
ORDER BY 1, 2, 3;
