-- Failover test mode per tracking number beside the per-line one, and an end
-- time for either: after test_until the test stops applying, and the app
-- clears it with an audited automatic stop.

ALTER TABLE lines ADD COLUMN test_until timestamptz;
ALTER TABLE lines ADD CONSTRAINT lines_test_until_needs_test
    CHECK (test_until IS NULL OR test_mode);

ALTER TABLE tracking_numbers ADD COLUMN test_mode boolean NOT NULL DEFAULT false;
ALTER TABLE tracking_numbers ADD COLUMN test_until timestamptz;
ALTER TABLE tracking_numbers ADD CONSTRAINT tracking_numbers_test_until_needs_test
    CHECK (test_until IS NULL OR test_mode);
