SELECT array_agg(name ORDER BY name, d) AS a, array_agg(d ORDER BY name, d) AS b,
       array_agg((d::timestamp AT TIME ZONE timezone) ORDER BY name, d) AS c,
       array_agg(((d + 1)::timestamp AT TIME ZONE timezone) ORDER BY name, d) AS e,
       array_agg(d = (created_at AT TIME ZONE timezone)::date ORDER BY name, d) AS f
FROM (SELECT name, timezone, created_at, g::date AS d FROM accounts,
      generate_series((created_at AT TIME ZONE timezone)::date, ('2026-11-12T12:00:00Z'::timestamptz AT TIME ZONE timezone)::date - 1, '1 day') g) x
\gset
SELECT coalesce(max(end_seq), 0) AS high FROM call_legs \gset
SELECT coalesce(min(m.floor_seq), :high) AS floor, array_remove(array_agg(a ORDER BY a) FILTER (WHERE m.account IS NULL), NULL) AS nomarks
FROM (SELECT name a FROM accounts) x LEFT JOIN rating_marks m ON m.account = a \gset
