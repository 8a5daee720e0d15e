# The website's dates (www/js/dates.js, under node): written as the seeds
# write them, 2027年1月6日, and in Beijing time whatever the browser's zone
# -- the auto-confirm date (a plain date) is never shifted by a day, and an
# instant just past Beijing midnight is already the next day.
use strict;
use warnings;
use utf8;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use JSON::PP ();

my $root = $ENV{TEST_NGINX_REPO} // abs_path(dirname(__FILE__) . '/../..');
system('command -v node >/dev/null 2>&1') == 0
    or plan skip_all => 'node is not installed';

# [function, argument, what the page shows]
my @CASES = (
    ['day',  '2027-01-06',                '2027年1月6日'],
    ['day',  '2026-12-31',                '2026年12月31日'],
    ['day',  '2026-12-31T16:30:00Z',      '2027年1月1日'],
    ['day',  '2026-12-31T15:59:00Z',      '2026年12月31日'],
    ['time', '2026-12-31T16:30:00Z',      '2027年1月1日 00:30'],
    ['time', '2026-12-01T06:48:05+08:00', '2026年12月1日 06:48'],
    ['time', '2026-12-07T14:49:31.123456+08:00', '2026年12月7日 14:49'],
    ['time', '2027-01-06',                '2027年1月6日'],
    ['day',  undef,                       ''],
    ['day',  '不久',                      '不久'],
);

my $program = <<'_JS_';
const { pathToFileURL } = require('url');
import(pathToFileURL(process.argv[1] + '/www/js/dates.js').href).then((dates) => {
  const cases = JSON.parse(process.argv[2]);
  process.stdout.write(JSON.stringify(cases.map(c => dates[c[0]](c[1]))));
});
_JS_

my $json = JSON::PP->new->utf8->canonical;
for my $tz ('UTC', 'America/Los_Angeles', 'Asia/Shanghai', 'Pacific/Kiritimati') {
    local $ENV{TZ} = $tz;
    my @args = ('node', '-e', $program, $root, $json->encode(\@CASES));
    open my $fh, '-|', @args or die "node: $!";
    my $out = do { local $/; <$fh> };
    close $fh;
    is $?, 0, "$tz: dates.js runs";
    my $got = eval { $json->decode($out) } // [];
    for my $i (0 .. $#CASES) {
        my ($fn, $arg, $want) = @{ $CASES[$i] };
        is $got->[$i], $want, "$tz: $fn(" . ($arg // 'null') . ") is $want";
    }
}

done_testing;
