# An upload's temporary file never outlives the nginx process that wrote
# it: nginx is stopped while an upload is under way (its body half sent,
# its temporary file in the storage's tmp/), by SIGQUIT and by SIGTERM
# without a master process (both exit at once, the request never
# finalised), and by SIGTERM to a master process (its worker exits at
# once); each time tmp/ is empty once nginx has exited, and the error log
# says which file went and why.  A worker killed with SIGKILL cannot
# clean up: its file, no longer held under its lock, is removed by the
# start of the worker the master puts in its place.  The Test::Nginx format cannot stop nginx
# in the middle of a request, so this starts nginx itself.
# Runs inside t/bin/testenv.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time);

use Certhall::Test;
use Certhall::Upload;

my $root = $ENV{TEST_NGINX_REPO};
my $nginx = $ENV{TEST_NGINX_BINARY};
my $module = $ENV{TEST_NGINX_LOAD_MODULES};
plan skip_all => 'run inside t/bin/testenv'
    unless $root && $nginx && $module && $ENV{TEST_NGINX_PG_HOST};
-f $module or BAIL_OUT("$module is not built: make");

my $dir = tempdir('certhall-upload-exit.XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;
my $storage = "$dir/storage";
mkdir $storage or die "$storage: $!";
my $port = 20000 + ($$ + 7) % 20000;
my $order = 'UO202612060000000199';
my $phone = '13800000091';

# an order that takes the upload, and a session that may make it
reset_accounts();
make_account($phone, 'alice123', verified => ['张三', '1101**********002X']);
make_session($phone, 1);
sql("INSERT INTO orders (id, account_id, project_code, service, cert_type)"
    . " SELECT " . quote($order) . ", id, 'xiangtan_ggzy', 'new', 'org'"
    . " FROM accounts WHERE phone = " . quote($phone));
sql("INSERT INTO order_events (order_id, to_state, actor_kind, actor_id)"
    . " SELECT id, 'draft', 'applicant', account_id FROM orders WHERE id = " . quote($order));

my $body = file_body(scan($dir, 'jpg', 'color', 800, 600, '--size', 1500000));

# waits until $cond is true, at most $secs; polls every 20 ms
sub wait_for {
    my ($secs, $cond) = @_;
    my $deadline = time + $secs;
    while (time < $deadline) {
        return 1 if $cond->();
        select undef, undef, undef, 0.02;
    }
    return $cond->();
}

sub error_log {
    open my $fh, '<', "$dir/logs/error.log" or return '';
    local $/;
    return scalar <$fh>;
}

sub start_nginx {
    my ($master) = @_;
    mkdir "$dir/logs";
    unlink "$dir/logs/error.log";
    my $db = "host=$ENV{TEST_NGINX_PG_HOST} dbname=$ENV{TEST_NGINX_PG_DATABASE}"
           . " user=$ENV{TEST_NGINX_PG_USER}";
    open my $fh, '>', "$dir/nginx.conf" or die "$dir/nginx.conf: $!";
    print $fh "load_module $module;\n"
        . "daemon off;\nmaster_process " . ($master ? 'on' : 'off') . ";\n"
        . "worker_processes 1;\n"
        . "error_log $dir/logs/error.log notice;\npid $dir/logs/nginx.pid;\n"
        . ($> == 0 ? "user root;\n" : '')
        . "events {}\n"
        . "http {\n"
        . "    access_log off;\n"
        . "    client_body_temp_path $dir/client_body_temp;\n"
        . "    certhall_db \"$db\";\n"
        . "    certhall_password_iterations 1000;\n"
        . "    certhall_storage $storage;\n"
        . "    server {\n"
        . "        listen 127.0.0.1:$port;\n"
        . "        client_max_body_size 30M;\n"
        . "        location /api/ {\n            certhall;\n        }\n"
        . "    }\n"
        . "}\n";
    close $fh;

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        exec $nginx, '-p', "$dir/", '-c', "$dir/nginx.conf";
        die "exec $nginx: $!";
    }

    # it answers once its worker has started
    my $up = wait_for(10, sub {
        die "nginx exited at start:\n" . error_log() if waitpid($pid, WNOHANG) == $pid;
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 1)
            or return 0;
        print $s "GET /api/health HTTP/1.0\r\n\r\n";
        my $answer = join '', <$s>;
        return $answer =~ m{^HTTP/1\.1 200 };
    });
    $up or die "nginx did not answer on port $port:\n" . error_log();
    return $pid;
}

# the first part of an upload whose rest never comes
sub half_upload {
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 5)
        or die "connect: $!";
    print $s "POST /api/orders/$order/materials/legal_id_back HTTP/1.1\r\n"
        . "Host: localhost\r\n"
        . "Cookie: certhall_session=" . session_token(1) . "\r\n"
        . "X-CSRF-Token: " . csrf_token(1) . "\r\n"
        . "Content-Type: multipart/form-data; boundary=$BOUNDARY\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n"
        . substr($body, 0, 700000);
    $s->flush;
    return $s;
}

for my $case (['SIGQUIT without a master process', 'QUIT', 0],
              ['SIGTERM without a master process', 'TERM', 0],
              ['SIGTERM to a master process', 'TERM', 1])
{
    my ($what, $signal, $master) = @$case;

    my $pid = start_nginx($master);
    my $client = half_upload();

    ok(wait_for(10, sub { tmp_files($storage) == 1 }),
       "$what: the upload's temporary file is there") or diag(error_log());
    my ($tmp) = tmp_files($storage);

    kill $signal, $pid;
    my $gone = wait_for(30, sub { waitpid($pid, WNOHANG) == $pid });
    ok($gone, "$what: nginx exits") or do { kill 'KILL', $pid; waitpid $pid, 0 };

    my @left = tmp_files($storage);
    is(scalar @left, 0, "$what: its temporary file is gone") or diag("@left");
    like(error_log(), qr/\[notice\] .*certhall: the worker exits during the upload of legal_id_back to order $order: temporary file "\Q$storage\E\/tmp\/\Q$tmp\E" removed/,
         "$what: the log says which file went and why") if defined $tmp;

    close $client;
}

# A worker killed with SIGKILL mid-upload cannot remove its file: the
# master starts a new worker, whose start removes it at once, since no
# worker holds its lock any more (a live upload's file, another worker's
# during a reload, is held under flock() and left alone: t/019); the new
# worker has swept tmp/ once it answers.
{
    my $what = 'SIGKILL to the worker';
    my $master = start_nginx(1);
    my $client = half_upload();
    ok(wait_for(10, sub { tmp_files($storage) == 1 }),
       "$what: the upload's temporary file is there") or diag(error_log());
    my ($tmp) = tmp_files($storage);
    like($tmp // '', qr/^upload\.\d{10}$/, "$what: under a name the sweep knows to be locked");

    my ($worker) = workers_of($master);
    kill 'KILL', $worker;
    ok(wait_for(30, sub {
           my @w = workers_of($master);
           @w == 1 && $w[0] != $worker && health();
       }), "$what: the master starts a worker that answers");
    is_deeply([tmp_files($storage)], [], "$what: the dead worker's file is gone at once");
    like(error_log(), qr/\[notice\] .*certhall: temporary file "\Q$storage\E\/tmp\/\Q$tmp\E" removed: its worker is gone/,
         "$what: the log says which file went and why");

    close $client;
    kill 'QUIT', $master;
    wait_for(30, sub { waitpid($master, WNOHANG) == $master })
        or do { kill 'KILL', $master; waitpid $master, 0 };
}

sub workers_of {
    my $master = shift;
    open my $fh, '<', "/proc/$master/task/$master/children" or return ();
    return split ' ', scalar(<$fh>) // '';
}

sub health {
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 5)
        or return 0;
    print $s "GET /api/health HTTP/1.0\r\n\r\n";
    return join('', <$s>) =~ m{^HTTP/1\.1 200 };
}

done_testing();
