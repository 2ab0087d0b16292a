// The same from an ES module consumer (node16): the ESM entry's types re-export the CJS ones.
import { LiteError, LiteTensor, version } from '@lite/core';
import { toNdarray } from '@lite/ndarray';
import { TensorBatchCollector } from '@lite/utils';
import { encryptModel } from '@lite/crypto';

export const checks: [() => string, typeof LiteTensor, typeof LiteError, typeof toNdarray, typeof TensorBatchCollector, typeof encryptModel] = [
  version, LiteTensor, LiteError, toNdarray, TensorBatchCollector, encryptModel,
];
