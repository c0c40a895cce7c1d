"""Pure signal work: WAV io, G.711, resampling, levels, VAD, line monitoring, segmentation.

No telephony and no clocks here: media time is counted in frames.
"""
