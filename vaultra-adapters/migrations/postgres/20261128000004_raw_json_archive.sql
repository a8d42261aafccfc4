-- Raw provider objects are an archive: written on every sync and webhook, read back only
-- to re-derive columns or to audit. JSON keeps the provider's text as sent (validated,
-- not re-encoded), where JSONB parses every object into its binary form on write — most
-- of the cost of storing a page. lz4 compresses the ~2–4 KB objects several times faster
-- than the default pglz; servers built without lz4 keep pglz.
ALTER TABLE charges  ALTER COLUMN raw TYPE json USING raw::json;
ALTER TABLE payouts  ALTER COLUMN raw TYPE json USING raw::json;
ALTER TABLE disputes ALTER COLUMN raw TYPE json USING raw::json;

DO $$
BEGIN
    ALTER TABLE charges  ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE payouts  ALTER COLUMN raw SET COMPRESSION lz4;
    ALTER TABLE disputes ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available on this server: raw objects stay pglz-compressed';
END
$$;
