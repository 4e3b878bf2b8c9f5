/* metriqmodule.c: the module `metriq`, its function table and init, as
 * lua_metriq.c assembles the Lua module. */
#define MQPY_MODULE_FILE
#include "mqpy.h"

#ifndef METRIQ_VERSION
#define METRIQ_VERSION "0"
#endif

/* PyCFunctionWithKeywords through a function pointer type of no arguments,
 * so that the cast to PyCFunction is not a cast between incompatible types */
#define KW(name, fn, doc) {name, (PyCFunction)(void (*)(void))fn, METH_VARARGS | METH_KEYWORDS, doc}

static PyMethodDef methods[] = {
	KW("quantize", mqpy_quantize,
	   "quantize(x, format, *, rounding='rtne', granularity='tensor', block=None, role='lhs',\n"
	   "         overflow='saturate', underflow='gradual', scale='fp32', seed=0, stats=False)\n"
	   "Fake-quantize x (1-3 axes) with absmax scales (scale='fp32'|'pow2') or at one fixed\n"
	   "scale (scale=S, a number); float32 array of x's shape, and with stats=True a dict\n"
	   "{n, clipped, underflowed, nan, scales}."),
	KW("codes", mqpy_codes,
	   "codes(x, format, ...) -> (codes, scales): the format's codes (uint8, or uint16 for\n"
	   "formats of more than 8 bits) and the scales; options as quantize."),
	KW("cast", mqpy_cast,
	   "cast(x, format, *, rounding, overflow, underflow, scale=1.0, seed=0, stats=False)\n"
	   "Every element through the format at one fixed scale, no absmax scaling."),
	{"formats", mqpy_formats, METH_NOARGS, "formats() -> list of the named formats."},
	KW("format", mqpy_format, "format(name) -> the format's descriptor as a dict."),
	KW("matmul", mqpy_matmul, "matmul(L, R) -> L.R in double, rounded to float32."),
	KW("qmatmul", mqpy_qmatmul,
	   "qmatmul(L, R, format, *, rounding, granularity, block, overflow, underflow, scale,\n"
	   "        seed, accum='exact', threads=1, reference=False, lhs=None, rhs=None,\n"
	   "        stats=False) -> Q(L, R), float32 M x N; lhs/rhs: a dict of operand options\n"
	   "or a format name overriding the shared ones."),
	KW("backward_error", mqpy_backward_error,
	   "backward_error(L, R, Q) -> |LR - Q| / (|L||R|) per element (Eq. 3), float32."),
	KW("relerr", mqpy_relerr, "relerr(v, q) -> |v - q| / |v| per element (Eq. 2)."),
	KW("moments", mqpy_moments,
	   "moments(x) -> {n, mean, variance, sd, skew, kurtosis (excess)}."),
	KW("summary", mqpy_summary, "summary(x) -> {n, mean, median, p99, min, max}."),
	KW("mse", mqpy_mse, "mse(x, xq) -> mean squared error."),
	KW("sqnr", mqpy_sqnr, "sqnr(x, xq) -> signal to quantization noise ratio in dB."),
	KW("error_split", mqpy_error_split,
	   "error_split(x, xq, format, ...) -> the clipping, underflow and rounding parts of\n"
	   "the squared error; options: those of the quantize call that made xq."),
	KW("advise", mqpy_advise,
	   "advise(x, *, granularity='tensor', role='lhs', formats=None, roundings=None,\n"
	   "       scale='fp32', seed=0, underflow_budget=0.03, clip_budget=0.01, margin=0)\n"
	   "The paper's choice of a format: moments, candidates and the advice, as dicts."),
	{NULL, NULL, 0, NULL}
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "metriq",
	"metriq: low-precision number formats for deep learning, on numpy arrays.\n"
	"The functions of the Lua API (docs/lua-api.md) with its options as keyword\n"
	"arguments, bit for bit the C library's results (docs/python.md).",
	-1, methods, NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit_metriq(void)
{
	import_array();
	PyObject *m = PyModule_Create(&module);
	if (m && PyModule_AddStringConstant(m, "__version__", METRIQ_VERSION)) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
