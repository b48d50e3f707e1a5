"""pyflow: int8 TFLite CNN -> bit-exact fixed-point reference -> golden vectors -> HLS layer engine."""
