/*
 * 物流状态 on the back office's order page: what order_shipment_json()
 * (sql/functions/38_receipt.sql) tells the applicant, as one row of
 * admin.order_shipment(): the courier, the 运单号 linking to the courier's
 * own tracking page, when it left, the date of the automatic confirmation
 * while it is on its way, and its receipt; for a pickup, the point, when
 * and by whom it was fetched.  No row: nothing has left yet, no section.
 */

#include <string.h>

#include "admin.h"


typedef struct {
    const char  *code;
    const char  *label;
} shipment_receiver_t;


/* received_by: who ended 待收货 */
static const shipment_receiver_t  shipment_receivers[] = {
    { "applicant", "申请人确认收货" },
    { "system",    "系统自动确认收货" },
    { "shipper",   "受理点当面交付" },
};


static const char *
shipment_receiver(const char *code)
{
    size_t  i;

    for (i = 0; code && i < sizeof(shipment_receivers)
                                / sizeof(shipment_receivers[0]); i++)
    {
        if (strcmp(code, shipment_receivers[i].code) == 0) {
            return shipment_receivers[i].label;
        }
    }

    return code;
}


/*
 * The number opens the courier's page in a new tab; the page must not
 * reach back into the back office (noopener) nor learn its address
 * (noreferrer).  The URL is the couriers table's https template, checked
 * there; it is still escaped as an attribute.
 */
static void
shipment_tracking_no(PGresult *sh)
{
    const char  *url;

    url = db_nullable(sh, 0, "tracking_url");

    html_raw("<dt>运单号</dt><dd id=\"tracking-no\">");

    if (url) {
        html_raw("<a href=\"");
        html_attr(url);
        html_raw("\" target=\"_blank\" rel=\"noopener noreferrer\">");
    }

    html_txt(db_nullable(sh, 0, "tracking_no"));

    if (url) {
        html_raw("</a>");
    }

    html_raw("</dd>\n");
}


void
order_shipment(PGresult *sh)
{
    const char  *method, *v;

    if (sh == NULL || PQntuples(sh) != 1) {
        return;
    }

    method = db_nullable(sh, 0, "method");

    html_raw("<section><h3>物流状态</h3><dl class=\"fields\" "
             "id=\"shipment\">\n");

    if (method && strcmp(method, "express") == 0) {
        order_item("courier", "快递公司", db_nullable(sh, 0, "courier_name"));
        shipment_tracking_no(sh);
        order_time_item("寄出时间", db_nullable(sh, 0, "shipped_at"));

    } else {
        order_item(NULL, "受理点", db_nullable(sh, 0, "pickup_name"));
        order_item(NULL, "地址", db_nullable(sh, 0, "pickup_address"));
        order_item(NULL, "电话", db_nullable(sh, 0, "pickup_phone"));
        order_item(NULL, "营业时间", db_nullable(sh, 0, "pickup_hours"));

        if (db_nullable(sh, 0, "picked_up_at")) {
            order_time_item("领取时间", db_nullable(sh, 0, "picked_up_at"));
            order_item("picked-up-by", "领取人",
                       db_nullable(sh, 0, "picked_up_by"));
        }
    }

    v = db_nullable(sh, 0, "auto_confirm_on");

    if (v) {
        html_raw("<dt>自动确认收货日期</dt><dd id=\"auto-confirm-on\">");
        html_date(v);
        html_raw("</dd>\n");
    }

    if (db_nullable(sh, 0, "received_at")) {
        order_time_item("收货时间", db_nullable(sh, 0, "received_at"));
        order_item("received-by", "确认方式",
                   shipment_receiver(db_nullable(sh, 0, "received_by")));
    }

    html_raw("</dl></section>\n");
}
