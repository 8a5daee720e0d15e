-- Schema v1, part 7: the resubmission after a rejection (重新提交, issue #13).
--
-- A reviewer rejects an order under review with a reason and, in
-- order_rejections, the materials to upload again (0007).  The applicant
-- corrects the order (information, invoice and materials stay editable
-- while it is rejected, 0005/0006) and sends it back to review:
-- POST /api/orders/{id}/resubmit, rejected -> pending_review through
-- order_transition() (the transition 'resubmit' of 0003, with its message).
--
-- What a resubmission needs is one function, order_resubmit_missing():
-- everything the first submission needed (order_missing: information,
-- required materials, invoice) and, for each material the latest rejection
-- named, a file uploaded after that rejection.  The state machine's
-- trigger (orders_submission_check) asks it whoever moves the order, the
-- api function answers its list (422 incomplete, as the submission does),
-- the order's JSON shows it to the website, and the applicant's actions
-- offer 'resubmit' only when it is empty.
--
-- The order is paid already (a rejection happens under review, after the
-- payment): the resubmission never asks for money again, keeps amount_fen
-- and submitted_at, and keeps the transfer and its voucher with finance's
-- decision on it (a confirmed voucher stays confirmed, so the reviewer may
-- approve at once; one not judged yet is judged under review as before).
--
-- For the back office: each rejection keeps a digest of the information
-- and the invoice as they were (order_rejections), so the order page says
-- whether they changed since, beside the files re-uploaded; the queue
-- marks the orders that came back by resubmission, and how many times.

-- Issue 15: the functions and triggers this migration defined live in
-- sql/functions/ (one file per capability, applied by sql/migrate after
-- the migrations); this file keeps its tables, types and data.

SET LOCAL timezone = 'Asia/Shanghai';

-- Each rejection keeps a digest of the information and the invoice as they
-- were (order_info_digest(), order_invoice_digest()), and which files were
-- current then: a file "uploaded again" is a current
-- file that was not among them.  The rejection locks the order and every
-- upload takes its lock too (materials_guard), so the list is exact; the
-- clock is not (a transaction's now() is when it began, not when it
-- took the lock).
ALTER TABLE order_rejections
    ADD COLUMN info_digest text CHECK (info_digest ~ '^([0-9a-f]{32}|none)$'),
    ADD COLUMN invoice_digest text CHECK (invoice_digest ~ '^([0-9a-f]{32}|none)$'),
    ADD COLUMN files bigint[];
COMMENT ON COLUMN order_rejections.files IS
    'the ids of the order''s current files (materials) at the rejection; NULL for rejections made before 0010 (then the upload time tells)';
COMMENT ON COLUMN order_rejections.info_digest IS
    'order_info_digest() at the rejection; NULL for rejections made before 0010 (then the write time tells)';
COMMENT ON COLUMN order_rejections.invoice_digest IS
    'order_invoice_digest() at the rejection; NULL for rejections made before 0010';
