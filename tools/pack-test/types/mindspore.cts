// @lite/mindspore from CommonJS and (mindspore.mts) ESM consumers, node16, no esModuleInterop.
import ms = require('@lite/mindspore');

export const version: string = ms.version;
export const model: ms.Model = new ms.Model();
