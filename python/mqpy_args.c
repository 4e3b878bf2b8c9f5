/* mqpy_args.c: arrays and scalar keyword arguments, checked, with errors
 * that name the argument (mqpy.h). */
#include <math.h>
#include <stdio.h>

#include "mqpy.h"

/* Anything beyond this many elements is a mistake, as in lua_tensor.c. */
#define MAXELEMS ((npy_intp)1 << 32)

static const char *tname(PyObject *o)
{
	return Py_TYPE(o)->tp_name;
}

PyArrayObject *mqpy_array(PyObject *o, const char *name, int mindim, int maxdim)
{
	PyArrayObject *a;
	if (!o || o == Py_None) {
		PyErr_Format(PyExc_TypeError, "%s: expected an array, got None", name);
		return NULL;
	}
	if (PyArray_Check(o)) {
		Py_INCREF(o);
		a = (PyArrayObject *)o;
	} else {
		/* lists and other sequences; numpy's own message would not say which
		 * argument it was about */
		a = (PyArrayObject *)PyArray_FromAny(o, NULL, 0, 0, 0, NULL);
		if (!a) {
			PyErr_Clear();
			PyErr_Format(PyExc_TypeError, "%s: expected an array of floats, got %s", name,
			             tname(o));
			return NULL;
		}
	}
	int t = PyArray_TYPE(a);
	if (t != NPY_HALF && t != NPY_FLOAT && t != NPY_DOUBLE) {
		PyErr_Format(PyExc_TypeError, "%s: expected a float16, float32 or float64 array, "
		             "got dtype %s", name, PyArray_DESCR(a)->typeobj->tp_name);
		goto fail;
	}
	int nd = PyArray_NDIM(a);
	if (nd < mindim || nd > maxdim) {
		PyErr_Format(PyExc_ValueError, "%s: expected %d to %d dimensions, got %d", name,
		             mindim, maxdim, nd);
		goto fail;
	}
	npy_intp n = PyArray_SIZE(a);
	if (n == 0) {
		PyErr_Format(PyExc_ValueError, "%s: empty array (at least one element needed)", name);
		goto fail;
	}
	if (n > MAXELEMS) {
		PyErr_Format(PyExc_ValueError, "%s: more than 2^32 elements", name);
		goto fail;
	}
	/* the same object when it is float32, C-contiguous, aligned and in
	 * native byte order; float64 rounds to nearest float32, as Lua's
	 * (float) conversion does */
	PyArrayObject *f = (PyArrayObject *)PyArray_FromArray(a, PyArray_DescrFromType(NPY_FLOAT),
	                                                      NPY_ARRAY_CARRAY_RO | NPY_ARRAY_FORCECAST);
	Py_DECREF(a);
	return f;
fail:
	Py_DECREF(a);
	return NULL;
}

PyArrayObject *mqpy_new(int ndim, const npy_intp *dim, int type)
{
	return (PyArrayObject *)PyArray_SimpleNew(ndim, (npy_intp *)dim, type);
}

const char *mqpy_shapestr(PyArrayObject *a, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = 0;
	for (int i = 0; i < PyArray_NDIM(a) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, i ? "x%ld" : "%ld",
		                        (long)PyArray_DIM(a, i));
	return buf;
}

int mqpy_str(PyObject *o, const char *name, const char *def, const char **out)
{
	if (!o || o == Py_None) {
		*out = def;
		return 0;
	}
	if (!PyUnicode_Check(o)) {
		PyErr_Format(PyExc_TypeError, "%s: expected a str, got %s", name, tname(o));
		return -1;
	}
	/* the keyword dict or the caller's dict keeps o, hence the UTF-8, alive */
	*out = PyUnicode_AsUTF8(o);
	if (!*out) {
		PyErr_Clear();
		PyErr_Format(PyExc_ValueError, "%s: not encodable as UTF-8", name);
		return -1;
	}
	return 0;
}

/* An int that is not a bool: True is 1 to Python, but a seed of True is a
 * mistake. */
static int isint(PyObject *o)
{
	return PyLong_Check(o) && !PyBool_Check(o);
}

int mqpy_seed(PyObject *o, const char *name, uint64_t def, uint64_t *out)
{
	if (!o || o == Py_None) {
		*out = def;
		return 0;
	}
	if (!isint(o)) {
		PyErr_Format(PyExc_TypeError, "%s: expected an int, got %s", name, tname(o));
		return -1;
	}
	/* [0, 2^64) as it is; [-2^63, 0) modulo 2^64, as Lua's integers (a
	 * Lua seed above 2^63 is written negative), so both name the same stream */
	unsigned long long u = PyLong_AsUnsignedLongLong(o);
	if (!PyErr_Occurred()) {
		*out = (uint64_t)u;
		return 0;
	}
	PyErr_Clear();
	long long s = PyLong_AsLongLong(o);
	if (PyErr_Occurred()) {
		PyErr_Clear();
		PyErr_Format(PyExc_ValueError, "%s: must be an integer in [-2^63, 2^64)", name);
		return -1;
	}
	*out = (uint64_t)s;
	return 0;
}

int mqpy_int(PyObject *o, const char *name, long def, long lo, long hi, long *out)
{
	if (!o || o == Py_None) {
		*out = def;
		return 0;
	}
	if (!isint(o)) {
		PyErr_Format(PyExc_TypeError, "%s: expected an int, got %s", name, tname(o));
		return -1;
	}
	int overflow;
	long v = PyLong_AsLongAndOverflow(o, &overflow);
	if (overflow || v < lo || v > hi) {
		PyErr_Format(PyExc_ValueError, "%s: must be an integer in [%ld, %ld]", name, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int mqpy_bool(PyObject *o, const char *name, int def, int *out)
{
	if (!o || o == Py_None) {
		*out = def;
		return 0;
	}
	if (!PyBool_Check(o)) {
		PyErr_Format(PyExc_TypeError, "%s: expected a bool, got %s", name, tname(o));
		return -1;
	}
	*out = o == Py_True;
	return 0;
}

int mqpy_double(PyObject *o, const char *name, double def, double lo, double hi,
                double *out)
{
	if (!o || o == Py_None) {
		*out = def;
		return 0;
	}
	if (!PyFloat_Check(o) && !isint(o)) {
		PyErr_Format(PyExc_TypeError, "%s: expected a number, got %s", name, tname(o));
		return -1;
	}
	double v = PyFloat_AsDouble(o);
	if (PyErr_Occurred()) {
		PyErr_Clear();
		PyErr_Format(PyExc_ValueError, "%s: out of range", name);
		return -1;
	}
	if (!(v >= lo && v <= hi)) {
		PyErr_Format(PyExc_ValueError, "%s: must be a number in [%g, %g]", name, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

PyObject *mqpy_status(mq_status s, const char *name, const char *detail)
{
	const char *msg = detail ? detail : mq_strerror(s);
	PyObject *type = s == MQ_ENOMEM ? PyExc_MemoryError
	               : s == MQ_EIO ? PyExc_OSError : PyExc_ValueError;
	if (name)
		PyErr_Format(type, "%s: %s", name, msg);
	else
		PyErr_SetString(type, msg);
	return NULL;
}
