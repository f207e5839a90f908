#!/usr/bin/env python3
"""Python onnxruntime's side of `edgefactor-bench vision` (the inference baseline).

  bench_onnxruntime.py MODEL TENSOR THREADS FRAMES
      Runs MODEL on the float32 1×3×224×224 tensor in the file TENSOR, FRAMES times after 10
      warm-up runs, with THREADS intra-op threads and sequential execution (as the Swift binding
      is set up); prints the mean milliseconds per run.
"""
import sys
import time

import numpy as np
import onnxruntime as ort

if len(sys.argv) != 5:
    sys.exit(__doc__)
model, tensor, threads, frames = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
options = ort.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
x = np.fromfile(tensor, dtype=np.float32).reshape(1, 3, 224, 224)
for _ in range(10):
    session.run(None, {name: x})
start = time.perf_counter()
for _ in range(frames):
    session.run(None, {name: x})
print((time.perf_counter() - start) / frames * 1000)
