"""Pure signal processing over numpy arrays: effects, resampling and measurements."""
