# The back office's 定时任务 (/admin/jobs, admin role): every job with its
# schedule and last run (start in Beijing time, result, counts, host,
# message escaped), as `certhall-admin jobs` shows it (t/tools/jobs.t);
# the other roles are refused.  Runs inside t/bin/testenv.
use Test::Nginx::Socket 'no_plan';
use Certhall::Test;
use Certhall::Admin;

no_shuffle();

our $X = q{<script>alert("x")</script>};
our $XEsc = q{&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;};
our %S = (admin => 1, reviewer => 2);

our $HttpConfig = hall_http_config();
our $Config = $API_LOCATION . $ADMIN_LOCATION;

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("config", $Config) unless defined $block->config;
    $block->set_value("http_config", $HttpConfig) unless defined $block->http_config;
});

sub as { staff_cookie($S{$_[0]}) }
sub error_page { qr/<p class="error" id="error"[^>]*>\Q$_[0]\E/ }

run_tests();

__DATA__

=== TEST 1: the admin sees every job, its schedule and its last run: when (Beijing time), how it went, counts, host, the message escaped; a job never run says so
--- init
::reset_staff();
::make_staff('boss', '管理员老周', ['admin']);
::make_staff('rev', '审核员小李', ['reviewer']);
::staff_session('boss', 1);
::staff_session('rev', 2);
::sql("DELETE FROM job_runs");
::sql("INSERT INTO job_runs (job, host, pid, started_at, finished_at, status, done, failed, message) VALUES"
      . " ('sweep-sessions', 'hall-1', 10, '2026-12-07 03:43:00+08', '2026-12-07 03:43:02.5+08', 'ok', 3, 0, NULL),"
      . " ('sms-send', 'hall-2', 11, '2026-12-07 10:00:00+08', '2026-12-07 10:00:01+08', 'failed', 4, 1, "
      . ::quote("outbox 7 (138****0001): $::X") . "),"
      . " ('alipay-sync', 'hall-1', 12, now(), NULL, 'running', NULL, NULL, NULL)");
--- more_headers eval: ::as('admin')
--- request
GET /admin/jobs
--- error_code: 200
--- response_body_like eval
qr{(?s)<h2>定时任务</h2>.*<table id="jobs">.*<tr id="job-sms-send" class="job-failed"><td><strong>发送短信</strong> <code>sms-send</code><br><small>[^<]+</small></td><td><code>\* \* \* \* \*</code></td><td>2026年12月07日 10:00:00</td><td>1.0</td><td class="status">部分失败</td><td>4/1</td><td>hall-2</td><td class="message">outbox 7 \(138\*\*\*\*0001\): \Q$::XEsc\E</td></tr>
<tr id="job-alipay-sync" class="job-running">.*<td class="status">运行中（1 个运行中）</td><td>—</td><td>hall-1</td>.*
<tr id="job-auto-confirm" class="job-never">.*<td>—</td><td>—</td><td class="status">从未运行</td><td>—</td><td>—</td><td class="message"></td></tr>
<tr id="job-sweep-sessions" class="job-ok">.*<td>2026年12月07日 03:43:00</td><td>2.5</td><td class="status">成功</td><td>3/0</td><td>hall-1</td>.*
<tr id="job-sweep-sms-codes" class="job-never">.*
<tr id="job-sweep-rate-limits" class="job-never">}
--- response_body_unlike: <script>alert



=== TEST 2: the other roles are refused; the status page shows the way to the admin only
--- more_headers eval
[ ::as('reviewer'), ::as('admin'), ::as('reviewer') ]
--- request eval
[ "GET /admin/jobs", "GET /admin/status", "GET /admin/status" ]
--- error_code eval
[403, 200, 200]
--- response_body_like eval
[ ::error_page('您没有权限访问此页面（需要：管理员）'), qr{<a href="/admin/jobs">定时任务</a>},
  qr{<dd id="db-status">已连接</dd>} ]
--- response_body_unlike eval
[ qr{job-sms-send}, qr{^$}, qr{/admin/jobs} ]
