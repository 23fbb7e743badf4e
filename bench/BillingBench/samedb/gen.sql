\set accounts 10000
BEGIN;
INSERT INTO accounts (name, timezone, currency, processor_customer, created_at)
SELECT 'acct' || g, (ARRAY['America/New_York', 'Europe/London', 'America/Los_Angeles', 'Asia/Tokyo'])[g % 4 + 1],
       'USD', 'cus_' || g, '2026-11-09T00:00:00Z'
FROM generate_series(1, :accounts) g;
INSERT INTO subscriptions (account, plan_id, cycle, anchor, term_start, term_end)
SELECT name, (ARRAY['small-teams', 'large-teams', 'pay-as-you-go'])[substr(name, 5)::int % 3 + 1], 'monthly',
       created_at, created_at, created_at + interval '1 month'
FROM accounts;
INSERT INTO subscription_terms SELECT account, 0, term_start, term_end, plan_id, cycle FROM subscriptions;
INSERT INTO payment_methods (account, processor_token, brand, last4, exp_month, exp_year) SELECT name, 'pm_' || translate(md5(name), '0123456789', 'ghijklmnop'), 'visa', '4242', 12, 2030 FROM accounts;
COMMIT;
INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % :accounts + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
       e - interval '10 minutes',
       CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
       e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
FROM generate_series(0000001::bigint, 1000000::bigint) g,
     LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x;
INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % :accounts + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
       e - interval '10 minutes',
       CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
       e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
FROM generate_series(1000001::bigint, 2000000::bigint) g,
     LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x;
INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % :accounts + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
       e - interval '10 minutes',
       CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
       e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
FROM generate_series(2000001::bigint, 3000000::bigint) g,
     LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x;
INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % :accounts + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
       e - interval '10 minutes',
       CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
       e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
FROM generate_series(3000001::bigint, 4000000::bigint) g,
     LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x;
INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % :accounts + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
       e - interval '10 minutes',
       CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
       e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
FROM generate_series(4000001::bigint, 5000000::bigint) g,
     LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x;
INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % :accounts + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
       e - interval '10 minutes',
       CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
       e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
FROM generate_series(5000001::bigint, 6000000::bigint) g,
     LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x;
INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % :accounts + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
       e - interval '10 minutes',
       CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
       e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
FROM generate_series(6000001::bigint, 7000000::bigint) g,
     LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x;
INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % :accounts + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
       e - interval '10 minutes',
       CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
       e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
FROM generate_series(7000001::bigint, 8000000::bigint) g,
     LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x;
INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % :accounts + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
       e - interval '10 minutes',
       CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
       e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
FROM generate_series(8000001::bigint, 9000000::bigint) g,
     LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x;
INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % :accounts + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
       CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
       CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
       e - interval '10 minutes',
       CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
       e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
FROM generate_series(9000001::bigint, 10000000::bigint) g,
     LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x;
VACUUM ANALYZE;
