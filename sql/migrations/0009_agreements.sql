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

-- Issue 15: the functions and triggers this migration defined live in
-- sql/functions/ (one file per capability, applied by sql/migrate after
-- the migrations); this file keeps its tables, types and data.

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

-- The back office -------------------------------------------------------------

INSERT INTO audit_actions (code, name) VALUES ('agreement_publish', '发布协议版本');
