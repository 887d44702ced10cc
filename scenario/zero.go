package scenario

import "reflect"

// clearNegativeZeros writes every -0 among v's float64 settings (fields,
// list elements, alarm thresholds) as 0. A user who types --rps -0 or
// "error_rate: -0.0" means zero; strconv and YAML keep the sign, and Go's
// %g and encoding/json would echo it back as "-0 req/s" or "rps": -0.
// v must be a pointer.
func clearNegativeZeros(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			clearNegativeZeros(v.Elem())
		}
	case reflect.Float64:
		if v.CanSet() && v.Float() == 0 {
			v.SetFloat(0)
		}
	case reflect.Slice:
		for i := range v.Len() {
			clearNegativeZeros(v.Index(i).Addr())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				clearNegativeZeros(f.Addr())
			}
		}
	}
}
