export { DigitClassifier, DigitPool, type ClassifyFn, type Inference, type ClassifierOptions, type PoolOptions } from './engine.js';
export { createDemoServer, startServer, parsePixelsJson, type ServerOptions, type ClassifyResponse, type RunningServer } from './server.js';
export { mnistPreprocess, topK, asciiDigit, type InkImage, type Preprocessed } from './preprocess.js';
export { decodePngToInk, inkToPng, pngDimensions, lumToInk, BadImageError } from './image.js';
export { loadHeldOut, sampleInput, u8ToInput, loadModelMeta, type HeldOut, type ModelMeta } from './heldout.js';
export { parseNpy, type Npy } from './npy.js';
export { main } from './cli.js';
