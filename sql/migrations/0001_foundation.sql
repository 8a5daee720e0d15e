-- The foundation every later migration stands on.
--
-- The hall serves Beijing time: timestamps are stored as timestamptz and
-- shown in Asia/Shanghai, the zone the seeds' dates (提交日期) are in.

DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET timezone = %L',
                   current_database(), 'Asia/Shanghai');
END
$$;

SET LOCAL timezone = 'Asia/Shanghai';

-- Money is integer fen everywhere: a domain so no column can hold yuan
-- fractions or a negative price by mistake.
CREATE DOMAIN money_fen AS bigint CHECK (VALUE >= 0);
COMMENT ON DOMAIN money_fen IS 'an amount of money in fen (1/100 yuan), never negative';
