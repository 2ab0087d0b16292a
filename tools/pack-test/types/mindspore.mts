import { Context, Model, version } from '@lite/mindspore';

export const checks: [string, typeof Model, typeof Context] = [version, Model, Context];
