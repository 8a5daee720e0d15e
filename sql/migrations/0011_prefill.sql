-- Schema v1, part 10: what blocks a certificate, and 基本信息 pre-filled
-- (issue #13).
--
--   api.certificates             each certificate names its open order (the
--                                one that blocks a new order for it) and
--                                whether the applicant may cancel it now
--   realname_requests.id_sealed  the verified ID number, sealed by the
--                                module under certhall_data_key
--   api.realname_callback_sealed the provider's result, keeping the seal
--   order_prefill()              the values the hall already knows for an
--   api.order_prefill            order's 基本信息, and where each came from
--
-- ID numbers stay sealed here: the module seals them (lib/ch_seal.c) and
-- opens them; SQL only hands the sealed text and what it is bound to.

-- Issue 15: the functions and triggers this migration defined live in
-- sql/functions/ (one file per capability, applied by sql/migrate after
-- the migrations); this file keeps its tables, types and data.

SET LOCAL timezone = 'Asia/Shanghai';

-- The verified ID number, sealed -------------------------------------------

ALTER TABLE realname_requests
    ADD COLUMN id_sealed text CHECK (id_sealed ~ '^v1\.[A-Za-z0-9_-]{40,200}$'),
    ADD CONSTRAINT realname_requests_sealed_verified CHECK (id_sealed IS NULL OR status = 'verified');
COMMENT ON COLUMN realname_requests.id_sealed IS
    'the ID number the provider verified, sealed by the module (AES-256-GCM under certhall_data_key, bound to "<request id>/realname_id"); NULL when the hall had no data key then, or before issue #13; opened only to pre-fill 基本信息';
