/*
 * Every statement the module runs.  They are prepared on each connection
 * once, right after it connects, so a statement that does not fit the
 * schema shows at start-up in the error log, not at the first request.
 * The SQL functions they call render the JSON answer themselves (sql/);
 * a statement whose answer is that one JSON value names its column "body"
 * (ngx_http_certhall_db_send_value() reads it by that name).
 *
 * A statement marked NGX_HTTP_CERTHALL_DB_CHEAP waits in the pool's queue
 * of cheap statements, served first (ngx_http_certhall_db.c): only public,
 * read-only catalog reads that take no lock a user's action takes, whose
 * cost does not grow with the orders or the accounts.
 */

#include "ngx_http_certhall.h"
#include "ngx_http_certhall_db.h"


ngx_http_certhall_stmt_t  ngx_http_certhall_statements[NGX_HTTP_CERTHALL_NSTMTS]
    = {

    [NGX_HTTP_CERTHALL_STMT_HEALTH] =
        { "certhall_health", "SELECT api.health() AS body", 0,
          NGX_HTTP_CERTHALL_DB_CHEAP },

    [NGX_HTTP_CERTHALL_STMT_PROJECTS] =
        { "certhall_projects", "SELECT api.projects() AS body", 0,
          NGX_HTTP_CERTHALL_DB_CHEAP },

    /* accounts: the functions that decide the answer return api.answer */

    [NGX_HTTP_CERTHALL_STMT_SMS_CODE_REQUEST] =
        { "certhall_sms_code_request",
          "SELECT * FROM api.sms_code_request($1, $2, $3::inet)", 3 },

    [NGX_HTTP_CERTHALL_STMT_SMS_CODE_BEGIN] =
        { "certhall_sms_code_begin",
          "SELECT * FROM api.sms_code_begin($1, $2, $3)", 3 },

    [NGX_HTTP_CERTHALL_STMT_REGISTER_FINISH] =
        { "certhall_register_finish",
          "SELECT * FROM api.register_finish($1::bigint, $2, $3, $4::inet, $5)",
          5 },

    [NGX_HTTP_CERTHALL_STMT_LOGIN_CODE] =
        { "certhall_login_code",
          "SELECT * FROM api.login_code($1, $2, $3::inet, $4)", 4 },

    [NGX_HTTP_CERTHALL_STMT_LOGIN_PASSWORD_BEGIN] =
        { "certhall_login_password_begin",
          "SELECT * FROM api.login_password_begin($1)", 1 },

    [NGX_HTTP_CERTHALL_STMT_LOGIN_PASSWORD_FINISH] =
        { "certhall_login_password_finish",
          "SELECT * FROM api.login_password_finish($1, $2, $3::boolean,"
          " $4::inet, $5)", 5 },

    [NGX_HTTP_CERTHALL_STMT_SESSION_END] =
        { "certhall_session_end",
          "SELECT * FROM api.session_end($1, $2)", 2 },

    [NGX_HTTP_CERTHALL_STMT_RESET_FINISH] =
        { "certhall_reset_finish",
          "SELECT * FROM api.password_reset_finish($1::bigint, $2, $3,"
          " $4::inet, $5)", 5 },

    [NGX_HTTP_CERTHALL_STMT_ME] =
        { "certhall_me", "SELECT api.me($1) AS body", 1 },

    [NGX_HTTP_CERTHALL_STMT_REALNAME_START] =
        { "certhall_realname_start",
          "SELECT request_id, created_epoch,"
          " to_json(expires_at) #>> '{}' AS expires_at"
          " FROM api.realname_start($1, $2, $3, $4, $5)", 5 },

    [NGX_HTTP_CERTHALL_STMT_REALNAME_STATUS] =
        { "certhall_realname_status",
          "SELECT api.realname_status($1) AS body", 1 },

    [NGX_HTTP_CERTHALL_STMT_REALNAME_CALLBACK] =
        { "certhall_realname_callback",
          "SELECT api.realname_callback_sealed($1, $2, $3, $4, $5, $6, $7,"
          " $8) AS body", 8 },

    /* orders: the functions check the session and CSRF token themselves */

    [NGX_HTTP_CERTHALL_STMT_CERTIFICATES] =
        { "certhall_certificates", "SELECT api.certificates($1) AS body", 1 },

    [NGX_HTTP_CERTHALL_STMT_PICKUP_POINTS] =
        { "certhall_pickup_points", "SELECT api.pickup_points() AS body", 0,
          NGX_HTTP_CERTHALL_DB_CHEAP },

    [NGX_HTTP_CERTHALL_STMT_ORDER_CREATE] =
        { "certhall_order_create",
          "SELECT api.order_create($1, $2, $3, $4, $5, $6::bigint, $7::boolean,"
          " $8::integer) AS body", 8 },

    [NGX_HTTP_CERTHALL_STMT_ORDERS] =
        { "certhall_orders",
          "SELECT api.orders($1, $2, $3, $4, $5, $6, $7::date, $8::date,"
          " $9::integer, $10::integer) AS body", 10 },

    [NGX_HTTP_CERTHALL_STMT_APPLICATIONS] =
        { "certhall_applications",
          "SELECT api.applications($1, $2::integer, $3::integer) AS body", 3 },

    [NGX_HTTP_CERTHALL_STMT_ORDER_GET] =
        { "certhall_order_get", "SELECT api.order_get($1, $2) AS body", 2 },

    [NGX_HTTP_CERTHALL_STMT_ORDER_INFO] =
        { "certhall_order_info",
          "SELECT api.order_info_put($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
          " $11, $12, $13, $14, $15, $16) AS body", 16 },

    [NGX_HTTP_CERTHALL_STMT_ORDER_INVOICE] =
        { "certhall_order_invoice",
          "SELECT api.order_invoice_put($1, $2, $3, $4, $5, $6, $7, $8, $9,"
          " $10::boolean) AS body", 10 },

    [NGX_HTTP_CERTHALL_STMT_ORDER_SUBMIT] =
        { "certhall_order_submit",
          "SELECT * FROM api.order_submit($1, $2, $3, $4::boolean, $5,"
          " $6::bigint, $7, $8::integer)", 8 },

    [NGX_HTTP_CERTHALL_STMT_ORDER_CANCEL] =
        { "certhall_order_cancel",
          "SELECT api.order_cancel($1, $2, $3) AS body", 3 },
    [NGX_HTTP_CERTHALL_STMT_ORDER_CONFIRM_RECEIPT] =
        { "certhall_order_confirm_receipt",
          "SELECT api.order_confirm_receipt($1, $2, $3) AS body", 3 },

    [NGX_HTTP_CERTHALL_STMT_ORDER_RESUBMIT] =
        { "certhall_order_resubmit",
          "SELECT * FROM api.order_resubmit($1, $2, $3)", 3 },

    [NGX_HTTP_CERTHALL_STMT_APPLICATION_FORM] =
        { "certhall_application_form",
          "SELECT * FROM api.application_form($1, $2)", 2 },

    [NGX_HTTP_CERTHALL_STMT_ORDER_PREFILL] =
        { "certhall_order_prefill",
          "SELECT field, value, sealed_for, source, source_name"
          " FROM api.order_prefill($1, $2)", 2 },

    /* the account's lists */

    [NGX_HTTP_CERTHALL_STMT_ADDRESSES] =
        { "certhall_addresses", "SELECT api.addresses($1) AS body", 1 },

    [NGX_HTTP_CERTHALL_STMT_ADDRESS_SAVE] =
        { "certhall_address_save",
          "SELECT api.address_save($1, $2, $3::bigint, $4, $5, $6, $7, $8,"
          " $9::boolean) AS body", 9 },

    [NGX_HTTP_CERTHALL_STMT_ADDRESS_DELETE] =
        { "certhall_address_delete",
          "SELECT api.address_delete($1, $2, $3::bigint) AS body", 3 },

    [NGX_HTTP_CERTHALL_STMT_INVOICE_TITLES] =
        { "certhall_invoice_titles",
          "SELECT api.invoice_titles($1) AS body", 1 },

    [NGX_HTTP_CERTHALL_STMT_INVOICE_TITLE_SAVE] =
        { "certhall_invoice_title_save",
          "SELECT api.invoice_title_save($1, $2, $3::bigint, $4, $5, $6,"
          " $7::boolean) AS body", 7 },

    [NGX_HTTP_CERTHALL_STMT_INVOICE_TITLE_DELETE] =
        { "certhall_invoice_title_delete",
          "SELECT api.invoice_title_delete($1, $2, $3::bigint) AS body", 3 },

    [NGX_HTTP_CERTHALL_STMT_MESSAGES] =
        { "certhall_messages",
          "SELECT api.messages($1, $2::integer, $3::integer, $4::boolean)"
          " AS body",
          4 },

    [NGX_HTTP_CERTHALL_STMT_MESSAGE_READ] =
        { "certhall_message_read",
          "SELECT api.message_read($1, $2, $3::bigint) AS body", 3 },

    [NGX_HTTP_CERTHALL_STMT_MESSAGES_READ_ALL] =
        { "certhall_messages_read_all",
          "SELECT api.messages_read_all($1, $2) AS body", 2 },

    /*
     * uploads: what the kind allows, asked before the body is read; the
     * file's row once it is checked and in place.  Their results are read
     * by these column names.
     */

    [NGX_HTTP_CERTHALL_STMT_UPLOAD_CHECK] =
        { "certhall_upload_check",
          "SELECT max_bytes, color_required,"
          " array_to_string(formats, ',') AS formats"
          " FROM api.upload_rule($1, $2, $3, $4)", 4 },

    [NGX_HTTP_CERTHALL_STMT_MATERIAL_PUT] =
        { "certhall_material_put",
          "SELECT api.material_put($1, $2, $3, $4, $5, $6::bigint, $7,"
          " $8::integer, $9::integer, $10::integer, $11) AS body", 11 },

    [NGX_HTTP_CERTHALL_STMT_MATERIAL_GET] =
        { "certhall_material_get",
          "SELECT sha256, media_type, name, format"
          " FROM api.material_file($1, $2, $3)", 3 },

    [NGX_HTTP_CERTHALL_STMT_MATERIAL_DELETE] =
        { "certhall_material_delete",
          "SELECT api.material_delete($1, $2, $3, $4) AS body", 4 },

    [NGX_HTTP_CERTHALL_STMT_ORDER_PAY] =
        { "certhall_order_pay",
          "SELECT api.order_pay($1, $2, $3, $4, $5, $6, $7) AS body", 7 },

    /*
     * Alipay: the attempt's values the module signs, and the order's JSON
     * for its answer (read by these names); a verified notification's
     * outcome
     */

    [NGX_HTTP_CERTHALL_STMT_ORDER_PAY_ALIPAY] =
        { "certhall_order_pay_alipay",
          "SELECT a.body->>'out_trade_no' AS out_trade_no,"
          " a.body->>'amount_fen' AS amount_fen,"
          " a.body->>'subject' AS subject,"
          " a.body->'expires_at' AS expires_at,"
          " a.body->'order' AS order_json"
          " FROM api.order_pay_alipay($1, $2, $3, $4, $5::integer) AS a(body)",
          5 },

    [NGX_HTTP_CERTHALL_STMT_ALIPAY_NOTIFY] =
        { "certhall_alipay_notify",
          "SELECT outcome, order_id FROM api.alipay_notify($1, $2, $3,"
          " $4::bigint, $5, $6, $7, $8::json)", 8 },

    /* the texts applicants agree to: public */

    [NGX_HTTP_CERTHALL_STMT_AGREEMENT] =
        { "certhall_agreement",
          "SELECT api.agreement($1, $2::integer) AS body", 2,
          NGX_HTTP_CERTHALL_DB_CHEAP },

    /* the download centre: public */

    [NGX_HTTP_CERTHALL_STMT_DOWNLOADS] =
        { "certhall_downloads", "SELECT api.downloads($1) AS body", 1,
          NGX_HTTP_CERTHALL_DB_CHEAP },

    [NGX_HTTP_CERTHALL_STMT_DOWNLOAD_FILE] =
        { "certhall_download_file",
          "SELECT f->>'sha256' AS sha256, f->>'media_type' AS media_type,"
          " f->>'file_name' AS file_name, f->>'version' AS version"
          " FROM api.download_file($1::bigint) AS t(f)", 1 },

    /* the e-invoice: 开具发票, and the issued invoice's stored PDF */

    [NGX_HTTP_CERTHALL_STMT_ORDER_INVOICE_REQUEST] =
        { "certhall_order_invoice_request",
          "SELECT api.order_invoice_request($1, $2, $3) AS body", 3 },

    [NGX_HTTP_CERTHALL_STMT_ORDER_INVOICE_FILE] =
        { "certhall_order_invoice_file",
          "SELECT f.sha256, f.media_type, f.name, $2::text AS order_id"
          " FROM api.order_invoice_file($1, $2) AS f", 2 },

};
