/* metriq.h: the whole C API of the metriq kernels library. */
#ifndef METRIQ_H
#define METRIQ_H
#include "status.h"
#include "format.h"
#include "round.h"
#include "rng.h"
#include "quant.h"
#include "scale.h"
#include "sample.h"
#include "qgemm.h"
#include "metrics.h"
#include "rankcorr.h"
#include "advise.h"
#endif
