-- Schema v1: the texts an applicant agrees to (issue #13).
--
--   agreements           the texts: 用户申请条款 (user_terms, read before
--                        the certificate type is chosen, at POST
--                        /api/orders) and 《数字证书申请责任书》 (agreement,
--                        ticked at 订单提交)
--   agreement_versions   every published version of each, append only: a
--                        change is a new version, the current one is the
--                        highest
--   orders               the versions the applicant agreed to, and when
--
-- The public reads them at GET /api/agreements/{code}; staff with the
-- admin role publish a new version in the back office
-- (admin.agreement_publish, audited).  An order records the version the
-- applicant was shown: one that is no longer the current version is
-- refused (409 agreement_changed) so that nobody agrees to a text they
-- have not seen.

SET LOCAL timezone = 'Asia/Shanghai';

-- The texts -----------------------------------------------------------------

CREATE TABLE agreements (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,31}$'),
    name        text NOT NULL UNIQUE,
    sort_order  integer NOT NULL
);
COMMENT ON TABLE agreements IS 'the texts an applicant agrees to, by code: user_terms (用户申请条款), agreement (数字证书申请责任书)';
COMMENT ON COLUMN agreements.name IS 'what the screens call it, without the book-title marks';

INSERT INTO agreements (code, name, sort_order) VALUES
    ('user_terms', '用户申请条款', 10),
    ('agreement',  '数字证书申请责任书', 20);

CREATE TABLE agreement_versions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text NOT NULL REFERENCES agreements,
    version         integer NOT NULL CHECK (version >= 1),
    title           text NOT NULL CHECK (char_length(title) BETWEEN 2 AND 100
                                         AND title !~ '[[:cntrl:]]'),
    -- plain text: one paragraph per line, shown as text (never as HTML)
    body            text NOT NULL CHECK (char_length(body) BETWEEN 20 AND 6000
                                         AND body !~ '[\x01-\x09\x0b-\x1f\x7f]'),
    published_at    timestamptz NOT NULL DEFAULT now(),
    -- NULL: shipped by a migration
    published_by    bigint REFERENCES staff,
    UNIQUE (code, version)
);
COMMENT ON TABLE agreement_versions IS 'every published version of an agreement, append only; the current one is the highest version of its code';
COMMENT ON COLUMN agreement_versions.body IS 'plain text, one paragraph per line (LF); the website and the back office show it escaped, never as HTML';
COMMENT ON COLUMN agreement_versions.published_by IS 'the staff member who published it; NULL for the versions the migrations ship';

-- a published text never changes: what an order agreed to stays readable
-- as it was (TRUNCATE, for the tests' clean-ups, fires no row trigger)
CREATE TRIGGER agreement_versions_append_only BEFORE UPDATE OR DELETE ON agreement_versions
    FOR EACH ROW EXECUTE FUNCTION append_only_guard();

-- The current version of a code: NULL if the code has none
CREATE FUNCTION agreement_current(p_code text)
RETURNS agreement_versions
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT * FROM agreement_versions WHERE code = p_code ORDER BY version DESC LIMIT 1
$$;
COMMENT ON FUNCTION agreement_current(text) IS 'the current (highest) version of an agreement, or NULL';

-- The applicant's answer to a text: p_agreed and the version p_version
-- they were shown.  Not agreed (or no version given): CH422 incomplete on
-- p_field; a version that is not the current one: CH409
-- agreement_changed, so that the text is read again.
CREATE FUNCTION agreement_accepted(p_code text, p_agreed boolean, p_version integer,
                                   p_field text)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    a agreements;
    v agreement_versions := agreement_current(p_code);
BEGIN
    SELECT * INTO STRICT a FROM agreements WHERE code = p_code;
    IF NOT coalesce(p_agreed, false) OR p_version IS NULL THEN
        PERFORM raise_api_error('CH422', 'incomplete',
                                format('请阅读并同意%s', a.name), p_field);
    END IF;
    IF v.version IS DISTINCT FROM p_version THEN
        PERFORM raise_api_error('CH409', 'agreement_changed',
                                format('《%s》已更新，请重新阅读后再确认', a.name), p_field);
    END IF;
    RETURN v.version;
END
$$;
COMMENT ON FUNCTION agreement_accepted(text, boolean, integer, text) IS
    'the current version of an agreement the applicant accepted: CH422 incomplete if not agreed, CH409 agreement_changed if the version shown is not the current one';

-- The first versions --------------------------------------------------------

INSERT INTO agreement_versions (code, version, title, body) VALUES
('user_terms', 1, '用户申请条款',
$text$欢迎使用华盾云科在线服务厅（以下简称“服务厅”）办理数字证书业务。在您选择用户类型并提交申请之前，请仔细阅读本条款。您勾选“我已阅读并同意”并继续办理，即表示您已充分理解并同意遵守本条款的全部内容。
第一条　适用范围。本条款适用于您通过服务厅在线申请数字证书新办、延期、解锁、补办等业务的全过程，包括注册账号、实名认证、填写信息、上传资料、缴费、审核、领取证书及开具发票。
第二条　用户类型。单位用户指企业、机关、事业单位、社会团体等组织，以组织名义申请单位数字证书，由经办人代为办理；个人用户指以本人身份申请个人数字证书的自然人。请根据证书的实际使用主体如实选择用户类型，用户类型选定后不可在同一订单中更改。
第三条　账号与实名。您应使用本人手机号码注册账号并完成实名认证，妥善保管账号密码和短信验证码。通过您的账号提交的申请，视为您本人或您所代表的单位的行为。
第四条　信息真实。您保证所填写的单位名称、统一社会信用代码、法定代表人、经办人、身份证件号码、联系方式等信息真实、准确、完整，所上传的营业执照、身份证件、申请表、申请责任书等资料为原件的清晰彩色扫描件且内容与原件一致。因信息不实造成的后果由您自行承担。
第五条　审核。华盾云科将依照《中华人民共和国电子签名法》《电子认证服务管理办法》及电子认证业务规则对您提交的资料进行审核，必要时可要求您补充或重新上传资料。资料不符合要求的，申请将被退回，您可按审核意见修改后重新提交。
第六条　费用。各项业务的收费标准以服务厅页面公示为准。订单提交后请按页面提示完成缴费；采用公对公转账的，付款单位名称须与申请单位名称一致。审核通过并签发证书后，已缴费用不予退还。
第七条　个人信息保护。华盾云科仅为办理数字证书、开具发票及履行法定义务之目的收集和使用您的个人信息，身份证件号码等敏感信息以加密方式保存，未经您同意不向第三方提供，法律法规另有规定的除外。
第八条　证书的使用。数字证书仅限证书持有人在其申请的业务系统中使用。您应妥善保管证书介质（USB Key）及其密码，不得转借、转让或出租；证书遗失、被盗或密码泄露的，应立即通过服务厅或客服热线申请处理。
第九条　条款的变更。华盾云科可根据法律法规和业务需要修订本条款，修订后的条款在服务厅公布后生效，并适用于此后提交的申请；已提交的订单适用您当时同意的版本。
第十条　其他。本条款的解释和争议解决适用中华人民共和国法律。如有疑问，请拨打客服热线 4006682666 或在线服务厅专线 0731-85018830 咨询。$text$),
('agreement', 1, '数字证书申请责任书',
$text$致华盾云科数字证书认证中心：
申请人（单位或个人，以下简称“申请人”）通过华盾云科在线服务厅向贵中心申请办理数字证书业务，现就有关事项郑重承诺如下：
一、申请人已仔细阅读并理解《华盾云科电子认证业务规则》及本责任书的全部内容，自愿申请并使用贵中心签发的数字证书，同意遵守其中的各项规定。
二、申请人保证提交的全部申请信息和证明材料真实、准确、完整、有效；单位申请人保证经办人已获得本单位的合法授权。如提交的信息或材料虚假、失效或存在遗漏，由此造成的一切损失和法律责任由申请人承担，贵中心有权拒绝签发或撤销已签发的数字证书。
三、申请人申请信息发生变更的，应在变更之日起十五个工作日内通知贵中心，并办理证书更新或撤销手续；未及时通知造成的损失由申请人承担。
四、申请人应妥善保管数字证书介质及其保护密码，不得将数字证书交由他人使用。凡使用申请人数字证书所做的电子签名，均视为申请人本人或本单位的行为，申请人对其承担相应的法律责任。
五、数字证书介质遗失、被盗，或申请人知悉、怀疑证书私钥及密码已经泄露的，应立即向贵中心申请冻结或撤销证书；在撤销生效之前因使用该证书而产生的后果由申请人承担。
六、申请人不得利用数字证书从事违反法律法规或损害他人合法权益的活动；申请人违反本责任书造成贵中心或第三方损失的，应承担赔偿责任。
七、数字证书有效期届满前，申请人应及时办理延期；证书过期后其所做的电子签名不再具有效力，因未及时延期造成的损失由申请人承担。
八、因不可抗力或通信线路、第三方系统故障等非贵中心原因导致证书无法正常使用的，贵中心不承担责任，但应积极协助申请人恢复使用。
九、本责任书自申请人在线勾选同意之日起生效，至申请人名下本次申请的数字证书有效期届满或被撤销之日终止。申请人在线勾选同意与签字盖章具有同等效力；申请人另须打印本责任书，签字（单位加盖公章）后扫描上传。
十、因本责任书发生的争议，双方应协商解决；协商不成的，任何一方可向贵中心所在地有管辖权的人民法院提起诉讼。$text$);

-- The orders record what was agreed -----------------------------------------

-- The user terms are agreed when the order is created, the agreement when
-- it is submitted (agreed_at, 0005).  Orders made before this migration
-- have neither version.  The code columns are constants that let a
-- foreign key name the exact version.
ALTER TABLE orders
    ADD COLUMN terms_code           text GENERATED ALWAYS AS ('user_terms') STORED,
    ADD COLUMN terms_version        integer,
    ADD COLUMN terms_agreed_at      timestamptz,
    ADD COLUMN agreement_code       text GENERATED ALWAYS AS ('agreement') STORED,
    ADD COLUMN agreement_version    integer,
    ADD CONSTRAINT orders_terms_version_fkey FOREIGN KEY (terms_code, terms_version)
        REFERENCES agreement_versions (code, version),
    ADD CONSTRAINT orders_agreement_version_fkey FOREIGN KEY (agreement_code, agreement_version)
        REFERENCES agreement_versions (code, version),
    ADD CONSTRAINT orders_terms_agreed CHECK ((terms_version IS NULL) = (terms_agreed_at IS NULL)),
    ADD CONSTRAINT orders_agreement_agreed CHECK (agreement_version IS NULL OR agreed_at IS NOT NULL);
COMMENT ON COLUMN orders.terms_version IS 'the version of 用户申请条款 the applicant agreed to when creating the order (NULL: made before agreements were versioned)';
COMMENT ON COLUMN orders.terms_agreed_at IS 'when the applicant agreed to the 用户申请条款';
COMMENT ON COLUMN orders.agreement_version IS 'the version of 数字证书申请责任书 agreed to at submission (agreed_at says when); NULL before, or for orders submitted before versions';

-- As in 0005, and: the user terms an order was created with are set once
-- and never change; the agreement's version is set while the order is a
-- draft (by the submission) and never after.
CREATE OR REPLACE FUNCTION orders_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state IS DISTINCT FROM 'draft' THEN
            RAISE EXCEPTION 'orders start as drafts: create them with order_create()'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;

    IF (NEW.id, NEW.account_id, NEW.project_code, NEW.service, NEW.cert_type,
        NEW.created_at, NEW.certificate_id)
       IS DISTINCT FROM
       (OLD.id, OLD.account_id, OLD.project_code, OLD.service, OLD.cert_type,
        OLD.created_at, OLD.certificate_id)
    THEN
        RAISE EXCEPTION 'order %: its id, account, project, service, certificate type, certificate and creation time never change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    IF (NEW.state, NEW.state_entered_at, NEW.amount_fen, NEW.submitted_at)
       IS DISTINCT FROM (OLD.state, OLD.state_entered_at, OLD.amount_fen, OLD.submitted_at)
       AND current_setting('certhall.transition_order', true) IS DISTINCT FROM OLD.id
    THEN
        RAISE EXCEPTION 'order %: state, state_entered_at, amount_fen and submitted_at change only through order_transition()', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    IF OLD.terms_version IS NOT NULL
       AND (NEW.terms_version, NEW.terms_agreed_at) IS DISTINCT FROM (OLD.terms_version, OLD.terms_agreed_at)
    THEN
        RAISE EXCEPTION 'order %: the user terms it was created with never change', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    IF OLD.state <> 'draft'
       AND (NEW.agreed_at, NEW.agreement_version, NEW.delivery_method, NEW.delivery_recipient,
            NEW.delivery_mobile, NEW.delivery_region, NEW.delivery_detail,
            NEW.delivery_postal_code, NEW.pickup_point)
           IS DISTINCT FROM
           (OLD.agreed_at, OLD.agreement_version, OLD.delivery_method, OLD.delivery_recipient,
            OLD.delivery_mobile, OLD.delivery_region, OLD.delivery_detail,
            OLD.delivery_postal_code, OLD.pickup_point)
    THEN
        PERFORM raise_api_error('CH409', 'order_not_editable', '订单已提交，领取方式不能再修改');
    END IF;

    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION orders_guard() IS
    'orders: created as drafts; identity never changes; state only through order_transition(); user terms set once; agreement and delivery only while a draft';

-- What an order agreed to, as [{"code","name","version","title","agreed_at"}]
-- in the agreements' order; [] when nothing yet
CREATE FUNCTION order_agreements_json(p_order orders)
RETURNS json
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT coalesce(json_agg(json_build_object(
               'code', a.code, 'name', a.name, 'version', v.version, 'title', v.title,
               'agreed_at', x.agreed_at) ORDER BY a.sort_order), '[]'::json)
    FROM (VALUES (p_order.terms_code, p_order.terms_version, p_order.terms_agreed_at),
                 (p_order.agreement_code, p_order.agreement_version, p_order.agreed_at))
         AS x (code, version, agreed_at)
    JOIN agreements a ON a.code = x.code
    JOIN agreement_versions v ON (v.code, v.version) = (x.code, x.version)
$$;
COMMENT ON FUNCTION order_agreements_json(orders) IS 'the agreements an order was agreed with: code, name, version, title, agreed_at';

-- GET /api/orders/{id} shows them as "agreements" (order_json, 0010).


-- The API ---------------------------------------------------------------------

-- GET /api/agreements/{code}[?version=N]: public, no session
CREATE FUNCTION api.agreement(p_code text, p_version integer)
RETURNS json
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    a agreements;
    v agreement_versions;
    c agreement_versions := agreement_current(p_code);
BEGIN
    SELECT * INTO a FROM agreements WHERE code = p_code;
    IF p_version IS NULL THEN
        v := c;
    ELSE
        SELECT * INTO v FROM agreement_versions WHERE code = p_code AND version = p_version;
    END IF;
    IF a.code IS NULL OR v.id IS NULL THEN
        PERFORM raise_api_error('CH404', 'agreement_not_found',
                                CASE WHEN a.code IS NULL THEN '协议不存在' ELSE '该版本不存在' END);
    END IF;
    RETURN json_build_object('code', a.code, 'name', a.name, 'version', v.version,
                             'title', v.title, 'body', v.body,
                             'published_at', v.published_at,
                             'current_version', c.version);
END
$$;
COMMENT ON FUNCTION api.agreement(text, integer) IS
    'GET /api/agreements/{code}: the current version of an agreement, or version p_version (CH404 agreement_not_found)';

-- POST /api/orders: as in 0005, and the 用户申请条款 the applicant was
-- shown (p_terms_version) and agreed to (p_agree_terms), checked before
-- anything is written and recorded on the new draft
DROP FUNCTION api.order_create(text, text, text, text, text, bigint);

CREATE FUNCTION api.order_create(p_token text, p_csrf text, p_project text, p_service text,
                                 p_cert_type text, p_certificate_id bigint,
                                 p_agree_terms boolean, p_terms_version integer)
RETURNS json
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s         sessions := session_check(p_token, p_csrf, true);
    v_version integer;
    v_id      text;
BEGIN
    v_version := agreement_accepted('user_terms', p_agree_terms, p_terms_version,
                                    CASE WHEN coalesce(p_agree_terms, false)
                                         THEN 'terms_version' ELSE 'agree_terms' END);
    v_id := order_create(s.account_id, p_project, p_service, p_cert_type, p_certificate_id);
    UPDATE orders SET terms_version = v_version, terms_agreed_at = now() WHERE id = v_id;
    RETURN order_json((SELECT o FROM orders o WHERE o.id = v_id));
END
$$;
COMMENT ON FUNCTION api.order_create(text, text, text, text, text, bigint, boolean, integer) IS
    'POST /api/orders: a new draft (201), with the version of the 用户申请条款 agreed (CH422 incomplete without, CH409 agreement_changed for an old version)';

-- POST /api/orders/{id}/submit: as in 0005, and the version of the
-- 申请责任书 the applicant was shown (p_agreement_version), recorded with
-- agreed_at; an old version is 409 agreement_changed before anything is
-- written, a missing one is in the 422 list like the tick itself
DROP FUNCTION api.order_submit(text, text, text, boolean, text, bigint, text);

CREATE FUNCTION api.order_submit(p_token text, p_csrf text, p_order_id text,
                                 p_agree boolean, p_delivery text, p_address_id bigint,
                                 p_pickup_point text, p_agreement_version integer)
RETURNS api.answer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s         sessions := session_check(p_token, p_csrf, true);
    o         orders := applicant_order(s.account_id, p_order_id, true);
    a         addresses;
    v_missing jsonb;
    v_current integer := (agreement_current('agreement')).version;
BEGIN
    IF o.state <> 'draft' THEN
        PERFORM raise_api_error('CH409', 'illegal_transition',
                                format('订单当前状态为“%s”，不能提交',
                                       (SELECT name FROM order_states WHERE code = o.state)));
    END IF;

    IF p_delivery NOT IN ('express', 'pickup') THEN
        PERFORM raise_api_error('CH400', 'invalid_field', '请选择正确的领取方式', 'delivery');
    ELSIF p_delivery = 'express' THEN
        IF p_address_id IS NULL THEN
            PERFORM raise_api_error('CH400', 'invalid_field', '请选择收货地址', 'address_id');
        END IF;
        SELECT * INTO a FROM addresses WHERE id = p_address_id AND account_id = s.account_id;
        IF NOT FOUND THEN
            PERFORM raise_api_error('CH404', 'address_not_found', '收货地址不存在', 'address_id');
        END IF;
    ELSIF p_delivery = 'pickup' THEN
        IF p_pickup_point IS NULL THEN
            PERFORM raise_api_error('CH400', 'invalid_field', '请选择受理点', 'pickup_point');
        END IF;
        PERFORM FROM pickup_points WHERE code = p_pickup_point AND active;
        IF NOT FOUND THEN
            PERFORM raise_api_error('CH404', 'pickup_point_not_found', '受理点不存在', 'pickup_point');
        END IF;
    END IF;

    -- the text agreed to must be the one in force
    IF coalesce(p_agree, false) AND p_agreement_version IS NOT NULL
       AND p_agreement_version IS DISTINCT FROM v_current
    THEN
        PERFORM agreement_accepted('agreement', p_agree, p_agreement_version, 'agreement_version');
    END IF;

    v_missing := order_missing(o)::jsonb;
    IF NOT coalesce(p_agree, false) OR p_agreement_version IS NULL THEN
        v_missing := v_missing || jsonb_build_object('item', 'agreement',
                                                     'message', '请阅读并同意数字证书申请责任书');
    END IF;
    IF p_delivery IS NULL THEN
        v_missing := v_missing || jsonb_build_object('item', 'delivery', 'message', '请选择领取方式');
    END IF;
    IF jsonb_array_length(v_missing) > 0 THEN
        RETURN ROW(422,
                   json_build_object('error', json_build_object(
                       'code', 'incomplete',
                       'message', '订单尚未填写完整：' || (SELECT string_agg(e->>'message', '；')
                                                           FROM jsonb_array_elements(v_missing) e),
                       'missing', v_missing)),
                   NULL, NULL, NULL)::api.answer;
    END IF;

    UPDATE orders
       SET agreed_at = now(),
           agreement_version = v_current,
           delivery_method = p_delivery,
           delivery_recipient = a.recipient, delivery_mobile = a.mobile,
           delivery_region = a.region, delivery_detail = a.detail,
           delivery_postal_code = a.postal_code,
           pickup_point = CASE WHEN p_delivery = 'pickup' THEN p_pickup_point END
     WHERE id = o.id;
    o := order_transition(o.id, 'pending_payment', 'applicant', s.account_id);

    RETURN ROW(200, order_json(o), NULL, NULL, NULL)::api.answer;
END
$$;
COMMENT ON FUNCTION api.order_submit(text, text, text, boolean, text, bigint, text, integer) IS
    'POST /api/orders/{id}/submit: agreement (its version) and delivery, then draft -> pending_payment (422 incomplete with the list, 409 agreement_changed for an old version)';

-- The back office -------------------------------------------------------------

INSERT INTO audit_actions (code, name) VALUES ('agreement_publish', '发布协议版本');

-- The agreements with their current version, for the staff page
CREATE FUNCTION admin.agreements()
RETURNS TABLE (code text, name text, version integer, title text, body text,
               published_at timestamptz, published_by text)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT a.code, a.name, v.version, v.title, v.body, v.published_at,
           coalesce(st.name || '（' || st.login || '）', '系统')
    FROM agreements a
    LEFT JOIN LATERAL agreement_current(a.code) v ON true
    LEFT JOIN staff st ON st.id = v.published_by
    ORDER BY a.sort_order
$$;
COMMENT ON FUNCTION admin.agreements() IS 'the agreements with their current version and who published it';

-- Every version of one agreement, newest first
CREATE FUNCTION admin.agreement_versions(p_code text)
RETURNS TABLE (version integer, title text, published_at timestamptz, published_by text,
               orders bigint)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT v.version, v.title, v.published_at,
           coalesce(st.name || '（' || st.login || '）', '系统'),
           (SELECT count(*) FROM orders o
            WHERE (v.code = 'user_terms' AND o.terms_version = v.version)
               OR (v.code = 'agreement' AND o.agreement_version = v.version))
    FROM agreement_versions v
    LEFT JOIN staff st ON st.id = v.published_by
    WHERE v.code = p_code
    ORDER BY v.version DESC
$$;
COMMENT ON FUNCTION admin.agreement_versions(text) IS 'the versions of an agreement, newest first, with who published each and how many orders agreed to it';

-- The text as staff typed it: line ends made LF, tabs spaces, blanks at the ends of
-- lines and of the whole dropped, runs of empty lines made one
CREATE FUNCTION agreement_text(p_text text)
RETURNS text
LANGUAGE sql IMMUTABLE
RETURN nullif(btrim(regexp_replace(regexp_replace(replace(replace(replace(p_text, E'\r\n', E'\n'),
                                                                           E'\r', E'\n'), E'\t', ' '),
                                                  E'[ \t\u3000]+\n', E'\n', 'g'),
                                   E'\n{3,}', E'\n\n', 'g'),
                    E' \t\n\u3000'), '');
COMMENT ON FUNCTION agreement_text(text) IS 'an agreement''s body as typed, normalised: LF line ends, no trailing blanks, at most one empty line in a row; NULL if empty';

-- A new version of an agreement, by an admin: the next version number,
-- the text checked, audited.  Returns the new version.
CREATE FUNCTION admin.agreement_publish(p_token text, p_csrf text, p_client inet, p_code text,
                                        p_title text, p_body text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
    s       record := staff_acting(p_token, p_csrf, 'admin');
    a       agreements;
    c       agreement_versions;
    v_title text := staff_text(p_title);
    v_body  text := agreement_text(p_body);
    v_new   integer;
BEGIN
    -- locked: two publications of one text get two numbers
    SELECT * INTO a FROM agreements WHERE code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM raise_api_error('CH404', 'agreement_not_found', '协议不存在');
    END IF;
    IF v_title IS NULL OR char_length(v_title) NOT BETWEEN 2 AND 100 OR v_title ~ '[[:cntrl:]]' THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '标题须为2-100个字符', 'title');
    END IF;
    IF v_body IS NULL OR char_length(v_body) NOT BETWEEN 20 AND 6000 THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '正文须为20-6000个字符', 'body');
    END IF;
    IF v_body ~ '[\x01-\x09\x0b-\x1f\x7f]' THEN
        PERFORM raise_api_error('CH422', 'invalid_field', '正文含有不可见的控制字符', 'body');
    END IF;

    c := agreement_current(p_code);
    IF (c.title, c.body) IS NOT DISTINCT FROM (v_title, v_body) THEN
        PERFORM raise_api_error('CH422', 'agreement_unchanged', '内容与当前版本相同，无需发布新版本', 'body');
    END IF;

    v_new := coalesce(c.version, 0) + 1;
    INSERT INTO agreement_versions (code, version, title, body, published_by)
    VALUES (p_code, v_new, v_title, v_body, s.staff_id);

    PERFORM staff_audit_add(s.staff_id, s.login, 'agreement_publish', NULL,
                            p_code || ' v' || v_new,
                            CASE WHEN c.version IS NOT NULL
                                 THEN jsonb_build_object('version', c.version, 'title', c.title) END,
                            jsonb_build_object('version', v_new, 'title', v_title),
                            a.name, p_client);
    RETURN v_new;
END
$$;
COMMENT ON FUNCTION admin.agreement_publish(text, text, inet, text, text, text) IS
    'publishes the next version of an agreement (admin role, CSRF): CH401, CH403, CH404 agreement_not_found, CH422 invalid_field (title, body) or agreement_unchanged; audited (agreement_publish); returns the version';

-- The agreements of one order, for its page
CREATE FUNCTION admin.order_agreements(p_order_id text)
RETURNS TABLE (code text, name text, version integer, title text, agreed_at timestamptz)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $$
    SELECT j->>'code', j->>'name', (j->>'version')::integer, j->>'title',
           (j->>'agreed_at')::timestamptz
    FROM json_array_elements(order_agreements_json(staff_order(p_order_id))) j
$$;
COMMENT ON FUNCTION admin.order_agreements(text) IS 'the agreement versions an order agreed to, and when (CH404 order_not_found)';
