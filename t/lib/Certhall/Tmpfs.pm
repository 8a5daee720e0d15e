package Certhall::Tmpfs;

# A small filesystem of a test's own, to fill: the tests of a full storage
# (issue 21) mount a tmpfs of a few KiB or MiB where the storage is.
#
#   my $refused = tmpfs_mount($dir, 'size=2m,nr_inodes=64,mode=0755', 'certhall-t033');
#       undef once mounted; else why not (mount(8)'s words: a machine or
#       container without CAP_SYS_ADMIN), for the test to skip with
#   tmpfs_unmount($dir)
#       unmounts it (lazily when busy: a process of the test may still hold
#       a file there); every mount still there is unmounted at END, also
#       when the test dies
#   tmpfs_fill($dir)
#       writes one file until the filesystem is full (ENOSPC); its path

use strict;
use warnings;

use Exporter 'import';

our @EXPORT = qw(tmpfs_mount tmpfs_unmount tmpfs_fill);

my %mounted;

sub tmpfs_mount {
    my ($dir, $options, $name) = @_;
    my $out = `mount -t tmpfs -o '$options' '$name' '$dir' 2>&1`;
    if ($? != 0) {
        $out =~ s/\s+\z//;
        return "mount -t tmpfs refused: $out";
    }
    $mounted{$dir} = 1;
    return undef;
}

sub tmpfs_unmount {
    my ($dir) = @_;
    return unless delete $mounted{$dir};
    system("umount '$dir' 2>/dev/null") == 0
        or system("umount -l '$dir'") == 0
        or warn "umount $dir failed\n";
}

sub tmpfs_fill {
    my ($dir) = @_;
    my $path = "$dir/filler";
    open my $fh, '>:raw', $path or die "$path: $!";
    1 while syswrite $fh, "\0" x 65536;
    $!{ENOSPC} or die "$path: $!";
    close $fh;
    return $path;
}

END {
    my $status = $?;
    tmpfs_unmount($_) for keys %mounted;
    $? = $status;
}

1;
