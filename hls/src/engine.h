// The layer engine: executes ONE layer described by a layer_desc_t (see engine_types.h).
#ifndef PYFLOW_ENGINE_H
#define PYFLOW_ENGINE_H

#include "engine_types.h"

void engine_top(layer_desc_t desc, const bus_t *fm_in, const bus_t *fm_in_b, const bus_t *fm_in2, bus_t *fm_out,
                const bus_t *wt, const bus_t *wt_b, const bus_t *wt_c, const bus_t *wt_d);

#endif
