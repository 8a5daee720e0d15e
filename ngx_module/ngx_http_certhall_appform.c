/*
 * GET /api/orders/{id}/application-form: the printable application form
 * (申请表).  The database gives the values, the ID number is opened here
 * under certhall_data_key (lib/ch_seal.c), and lib/ch_appform.c writes the
 * page, which goes out as HTML that no cache keeps.
 */

#include "ngx_http_certhall.h"
#include "ch_appform.h"
#include "ch_validate.h"


static ngx_int_t ngx_http_certhall_application_form_done(
    ngx_http_request_t *r, PGresult *res, void *data);


ngx_int_t
ngx_http_certhall_application_form(ngx_http_request_t *r,
    ch_route_params_t *params)
{
    return ngx_http_certhall_order_sealed_call(r, params,
                                    NGX_HTTP_CERTHALL_STMT_APPLICATION_FORM,
                                    ngx_http_certhall_application_form_done);
}


static ngx_int_t
ngx_http_certhall_application_form_done(ngx_http_request_t *r, PGresult *res,
    void *data)
{
    u_char                         *page, *aad, id[CH_SEAL_LEN(CH_ID_LEN)];
    size_t                          len, id_len;
    const char                     *sealed;
    ch_appform_t                    f;
    ngx_http_certhall_main_conf_t  *mcf;

    if (ngx_http_certhall_db_keep(r, res) != NGX_OK) {
        return ngx_http_certhall_internal_error(r);
    }

    f.order_id = ngx_http_certhall_answer_value(res, "order_id");
    sealed = ngx_http_certhall_answer_value(res, "person_id_sealed");

    if (f.order_id == NULL || sealed == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_certhall_module);

    aad = ngx_pnalloc(r->pool, ngx_strlen(f.order_id) + sizeof("/person_id"));
    if (aad == NULL) {
        return ngx_http_certhall_internal_error(r);
    }

    ngx_sprintf(aad, "%s/person_id%Z", f.order_id);

    len = ngx_strlen(sealed);

    if (len > sizeof(id)
        || ch_unseal(mcf->data_key.data, (char *) aad, sealed, len, id,
                     &id_len)
           != 0
        || id_len != CH_ID_LEN)
    {
        /* another key than the one that sealed it, or a row tampered with */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "certhall: the ID number of order %s does not open "
                      "with certhall_data_key", f.order_id);
        return ngx_http_certhall_send_error(r,
                                NGX_HTTP_INTERNAL_SERVER_ERROR,
                                "sealed_data_unreadable", NULL,
                                "订单资料暂时无法读取，请联系客服");
    }

    id[CH_ID_LEN] = '\0';

    f.project_name = ngx_http_certhall_answer_value(res, "project_name");
    f.service = ngx_http_certhall_answer_value(res, "service");
    f.cert_type = ngx_http_certhall_answer_value(res, "cert_type");
    f.certificate_serial = ngx_http_certhall_answer_value(res,
                                                      "certificate_serial");
    f.org_name = ngx_http_certhall_answer_value(res, "org_name");
    f.uscc = ngx_http_certhall_answer_value(res, "uscc");
    f.handler_name = ngx_http_certhall_answer_value(res, "handler_name");
    f.person_name = ngx_http_certhall_answer_value(res, "person_name");
    f.person_id = (const char *) id;
    f.mobile = ngx_http_certhall_answer_value(res, "mobile");
    f.email = ngx_http_certhall_answer_value(res, "email");
    f.date = ngx_http_certhall_answer_value(res, "created_on");

    len = ch_appform_render(NULL, &f);

    page = ngx_pnalloc(r->pool, len);
    if (page == NULL) {
        ngx_explicit_memzero(id, sizeof(id));
        return ngx_http_certhall_internal_error(r);
    }

    ch_appform_render(page, &f);
    ngx_explicit_memzero(id, sizeof(id));

    return ngx_http_certhall_send_page(r, page, len);
}
