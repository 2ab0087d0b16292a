// Type-checked by the packaging test against the installed tarballs: a CommonJS consumer under
// node16 resolution without esModuleInterop (the strictest setting our .d.cts files must pass).
import core = require('@lite/core');
import nd = require('@lite/ndarray');
import utils = require('@lite/utils');
import crypto = require('@lite/crypto');

export const version: () => string = core.version;
export const tensor: core.LiteTensor = new core.LiteTensor();
export const toNdarray: typeof nd.toNdarray = nd.toNdarray;
export const collector: typeof utils.TensorBatchCollector = utils.TensorBatchCollector;
export const encrypt: typeof crypto.encryptModel = crypto.encryptModel;
