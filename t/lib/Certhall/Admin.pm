package Certhall::Admin;

# What the back-office suites share: staff members and their sessions made
# directly in the test database, the nginx locations of the back office,
# orders brought to any state through the one state machine
# (order_transition, as the module and the back office would), and the
# forms' bodies.

use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use Exporter 'import';
use URI::Escape qw(uri_escape);
use Certhall::Test;

our @EXPORT = qw(make_staff staff_session staff_token staff_csrf staff_cookie
                 staff_post form_body admin_locations reset_staff
                 order_at store_file store_blob hand_over_key $ADMIN_LOCATION);

# the back office and its internal file location (alias of the storage);
# admin_conf: the back office's configuration file, when not testenv's
sub admin_locations {
    my ($storage, $admin_conf) = @_;
    my $conf = <<'_EOC_';
    location /admin/ {
        include $TEST_NGINX_REPO/conf/fastcgi_certhall.conf;
        fastcgi_param SCRIPT_FILENAME $TEST_NGINX_ADMIN_CGI;
        fastcgi_param CERTHALL_ADMIN_CONF $TEST_NGINX_ADMIN_CONF;
        fastcgi_pass unix:$TEST_NGINX_FCGI_SOCKET;
    }
_EOC_
    $conf =~ s/\$TEST_NGINX_ADMIN_CONF/$admin_conf/ if $admin_conf;
    $conf .= <<"_EOC_" if $storage;
    location /_certhall/staff-files/ {
        internal;
        alias $storage/;
        add_header X-Content-Type-Options nosniff always;
        add_header Content-Security-Policy "sandbox; default-src 'none'" always;
    }
_EOC_
    return $conf;
}

our $ADMIN_LOCATION = admin_locations();

# every staff member, session and lock, so that a suite starts clean (the
# audit trail is append-only: TRUNCATE is the owner's way out).  Staff ids
# start again at 101, so that requests (written before the blocks run) can
# name members made in order.  Run after reset_accounts(), which removes
# what staff recorded on orders.  The download centre's files go too (staff
# added them), their ids starting again at 1.
sub reset_staff {
    sql(q{
        TRUNCATE staff_audit;
        TRUNCATE download_versions, downloads RESTART IDENTITY;
        DELETE FROM staff_sessions; DELETE FROM staff_login_failures;
        DELETE FROM staff_grants; DELETE FROM staff;
        ALTER TABLE staff ALTER COLUMN id RESTART WITH 101;
    });
}

# a staff member with roles (array ref) and a password (hash at 1000
# iterations, computed independently of lib/); returns the id.  An existing
# login gets the new name, roles and password and is made active.
sub make_staff {
    my ($login, $name, $roles, $password, %opt) = @_;
    my $hash = pbkdf2_hash($password // 'staff-pass-123', 1000);
    my $id = sql_value("INSERT INTO staff (login, name, password_hash, active) VALUES ("
        . join(', ', map { quote($_) } $login, $name, $hash) . ", "
        . ($opt{inactive} ? 'false' : 'true') . ")"
        . " ON CONFLICT (login) DO UPDATE SET name = excluded.name,"
        . " password_hash = excluded.password_hash, active = excluded.active RETURNING id");
    sql("DELETE FROM staff_grants WHERE staff_id = $id");
    sql("INSERT INTO staff_grants (staff_id, role) VALUES "
        . join(', ', map { "($id, " . quote($_) . ")" } @$roles)) if @$roles;
    return $id;
}

# fixed tokens, so that a block's --- more_headers can name them
sub staff_token { my $n = shift; my $t = "StaffSession$n"; $t . ('x' x (43 - length $t)) }
sub staff_csrf  { my $n = shift; my $t = "StaffCsrf$n";    $t . ('y' x (43 - length $t)) }
sub staff_cookie { my $n = shift; return "Cookie: certhall_admin=" . staff_token($n) }

# a live session n for the staff member
sub staff_session {
    my ($login, $n, %opt) = @_;
    my $token = staff_token($n);
    sql("DELETE FROM staff_sessions WHERE token_hash = sha256(convert_to("
        . quote($token) . ", 'UTF8'))");
    sql("INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, created_at, last_seen_at)"
        . " SELECT sha256(convert_to(" . quote($token) . ", 'UTF8')), id, "
        . quote(staff_csrf($n)) . ", " . ($opt{created_at} // 'now()') . ", "
        . ($opt{last_seen_at} // 'now()') . " FROM staff WHERE login = " . quote($login));
    return $token;
}

# a value for a URL or a form: the suites' strings are UTF-8 bytes (the
# data sections are read as bytes); a character string is encoded first
sub qs {
    my $v = shift // '';
    utf8::encode($v) if utf8::is_utf8($v);
    return uri_escape($v);
}

# an urlencoded form body; the pairs in the order given
sub form_body {
    my @kv = @_;
    my @out;
    while (my ($k, $v) = splice @kv, 0, 2) {
        push @out, qs($k) . '=' . qs($v);
    }
    return join '&', @out;
}

# a POST request of session n's form (its token first)
sub staff_post {
    my ($path, $n, @kv) = @_;
    return "POST $path\n" . form_body(csrf => staff_csrf($n), @kv);
}

# bytes stored as the module and the back office store them
# (DIR/ab/<sha256>); returns the SHA-256
sub store_blob {
    my ($storage, $bytes) = @_;
    my $sha = sha256_hex($bytes);
    my $sub = "$storage/" . substr($sha, 0, 2);
    mkdir $sub;
    open my $fh, '>:raw', "$sub/$sha" or die "$sub/$sha: $!";
    print $fh $bytes;
    close $fh or die "$sub/$sha: $!";
    return $sha;
}

# a file stored as the module stores it (DIR/ab/<sha256>), and its row
sub store_file {
    my ($storage, $order, $kind, $bytes, %o) = @_;
    my $sha = store_blob($storage, $bytes);
    return sql_value("INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width,"
        . " height, pages, original_name, account_id) SELECT "
        . join(', ', quote($order), quote($kind), quote($sha), length($bytes),
               quote($o{format} // 'jpg'), $o{width} // 800, $o{height} // 600,
               $o{pages} // 1, quote($o{name} // 'scan.jpg'))
        . ", account_id FROM orders WHERE id = " . quote($order) . " RETURNING id");
}

# the key leaves the hall as the back office records it: the certificate,
# the shipment (express by 顺丰: 待收货; or fetched by 张三 at the pickup
# point: 待开票), then the transition
sub hand_over_key {
    my ($id, $method, $shipper) = @_;
    my $q = quote($id);
    sql("INSERT INTO certificates (account_id, project_code, cert_type, serial, name, valid_from,"
        . " valid_to, order_id) SELECT account_id, project_code, cert_type,"
        . " upper(substr(md5($q), 1, 16)), '湖南示例科技有限公司', now(), now() + interval '2 years', id"
        . " FROM orders WHERE id = $q");
    if ($method eq 'express') {
        sql("INSERT INTO order_shipments (order_id, method, courier, tracking_no, staff_id)"
            . " VALUES ($q, 'express', 'sf', 'SF1234567890', $shipper)");
        sql("SELECT order_transition($q, 'shipped', 'shipper', $shipper, '顺丰速运 SF1234567890')");
    } else {
        sql("INSERT INTO order_shipments (order_id, method, picked_up_by, staff_id)"
            . " VALUES ($q, 'pickup', '张三', $shipper)");
        sql("SELECT order_transition($q, 'pending_invoice', 'shipper', $shipper)");
    }
}

sub transition {
    my ($id, $to, $actor, $actor_id, $reason) = @_;
    sql("SELECT order_transition(" . join(', ', quote($id), quote($to), quote($actor),
        defined $actor_id ? $actor_id : 'NULL', quote($reason)) . ")");
}

# An order of the account with that phone, brought to state through the
# machine.  Options:
#   id        the order id (fixed: requests are written before blocks run)
#   phone     the applicant's phone
#   type      org (default) or personal;  service (new);  project
#   org_name, person_name, uscc   what the applicant entered
#   delivery  pickup (default) or express
#   pay       alipay (default) or transfer (a voucher, and pending_review
#             through upload_voucher)
#   file      bytes of the file every required material gets (and the
#             voucher); storage: where to put it (else only rows)
#   reviewer  staff id who approves on the way to pending_shipment and on
#   shipper   staff id who ships on the way on
#   finance   staff id who confirms a transfer's voucher on the way on
sub order_at {
    my ($state, %o) = @_;
    my $id = $o{id};
    my $type = $o{type} // 'org';
    my $project = $o{project} // 'xiangtan_ggzy';
    my $service = $o{service} // 'new';
    my $q = quote($id);

    sql("INSERT INTO orders (id, account_id, project_code, service, cert_type"
        . ($o{certificate_id} ? ", certificate_id" : "") . ")"
        . " SELECT $q, id, " . quote($project) . ", " . quote($service) . ", " . quote($type)
        . ($o{certificate_id} ? ", $o{certificate_id}" : "")
        . " FROM accounts WHERE phone = " . quote($o{phone}));
    sql("INSERT INTO order_events (order_id, to_state, actor_kind, actor_id)"
        . " SELECT id, 'draft', 'applicant', account_id FROM orders WHERE id = $q");
    return $id if $state eq 'draft' && !$o{complete};

    my $org = $type eq 'org';
    my $name = $org ? ($o{org_name} // '湖南示例科技有限公司') : undef;
    sql("INSERT INTO order_info (order_id, org_name, uscc, handler_name, person_name,"
        . " person_id_masked, person_id_digest, person_id_sealed, mobile, email) VALUES ("
        . join(', ', map { quote($_) } $id, $name,
               $org ? ($o{uscc} // '91350100M000100Y43', '李四') : (undef, undef),
               $o{person_name} // '张三', '1101**********002X', sha256_hex($id),
               'v1.' . ('A' x 60), '13800138000', 'a@example.com') . ")");
    for my $kind (map { $_->[0] } sql("SELECT material_kind FROM project_service_materials"
            . " WHERE project_code = " . quote($project) . " AND service = " . quote($service)
            . " AND cert_type = " . quote($type) . " AND required ORDER BY material_kind")) {
        if ($o{storage}) {
            store_file($o{storage}, $id, $kind, $o{file}, name => $o{file_name} // "$kind.jpg");
        } else {
            sql("INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width, height,"
                . " pages, original_name, account_id) SELECT $q, " . quote($kind) . ", "
                . quote(sha256_hex("$id/$kind")) . ", 1000, 'jpg', 800, 600, 1, "
                . quote("$kind.jpg") . ", account_id FROM orders WHERE id = $q");
        }
    }
    sql("INSERT INTO order_invoice (order_id, title_type, title, taxpayer_id, email, mobile)"
        . " VALUES ($q, " . ($org ? "'org', " . quote($name) . ", '91350100M000100Y43'"
                                  : "'personal', " . quote($o{person_name} // '张三') . ", NULL")
        . ", 'a\@example.com', '13800138000')");
    if (($o{delivery} // 'pickup') eq 'express') {
        sql("UPDATE orders SET agreed_at = now(), delivery_method = 'express',"
            . " delivery_recipient = '李四', delivery_mobile = '13800138000',"
            . " delivery_region = '湖南省 长沙市 岳麓区', delivery_detail = '麓谷大道627号',"
            . " delivery_postal_code = '410205' WHERE id = $q");
    } else {
        sql("UPDATE orders SET agreed_at = now(), delivery_method = 'pickup',"
            . " pickup_point = 'changsha' WHERE id = $q");
    }
    return $id if $state eq 'draft';

    my $account = sql_value("SELECT account_id FROM orders WHERE id = $q");
    transition($id, 'pending_payment', 'applicant', $account);
    return $id if $state eq 'pending_payment';

    if (($o{pay} // 'alipay') eq 'transfer') {
        transition($id, 'pending_voucher', 'applicant', $account);
        sql("INSERT INTO order_transfers (order_id, payee, bank, account, amount_fen)"
            . " SELECT id, '华盾云科技术有限公司', '华夏银行股份有限公司长沙窑岭支行',"
            . " '13452000000402912', amount_fen FROM orders WHERE id = $q");
        return $id if $state eq 'pending_voucher';
        if ($o{storage}) {
            store_file($o{storage}, $id, 'transfer_voucher', $o{voucher} // $o{file},
                       name => $o{voucher_name} // 'voucher.jpg');
        } else {
            sql("INSERT INTO materials (order_id, kind, sha256, size_bytes, format, width,"
                . " height, pages, original_name, account_id) SELECT $q, 'transfer_voucher', "
                . quote(sha256_hex("$id/voucher")) . ", 1000, 'jpg', 800, 600, 1,"
                . " 'voucher.jpg', account_id FROM orders WHERE id = $q");
        }
        transition($id, 'pending_review', 'applicant', $account);
    } else {
        transition($id, 'pending_review', 'payment', undef);
    }
    return $id if $state eq 'pending_review';

    if ($state eq 'rejected') {
        transition($id, 'rejected', 'reviewer', $o{reviewer}, $o{reason} // '资料不清晰');
        return $id;
    }

    if (($o{pay} // 'alipay') eq 'transfer') {
        sql("INSERT INTO voucher_reviews (order_id, material_id, decision, payer_name,"
            . " amount_fen, staff_id) SELECT o.id, m.id, 'confirmed', " . quote($name // '张三')
            . ", o.amount_fen, $o{finance} FROM orders o JOIN materials m ON m.order_id = o.id"
            . " AND m.kind = 'transfer_voucher' AND m.replaced_at IS NULL WHERE o.id = $q");
    }
    transition($id, 'pending_shipment', 'reviewer', $o{reviewer});
    return $id if $state eq 'pending_shipment';

    die "order_at: no way to $state yet\n";
}

1;
