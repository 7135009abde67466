#ifndef TASKQ_CHIREDIS_SHIM_H
#define TASKQ_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
