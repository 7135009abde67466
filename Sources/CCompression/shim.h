#ifndef TASKQ_CCOMPRESSION_SHIM_H
#define TASKQ_CCOMPRESSION_SHIM_H
// zlib (kombu's 'zlib'/'gzip'), bzip2 ('bzip2') and zstd ('zstd'), from Debian's
// zlib1g-dev, libbz2-dev and libzstd-dev (scripts/install-deps installs them).
#include <zlib.h>
#include <bzlib.h>
#include <zstd.h>
#endif
