export { buildDetector, type DetectorDeps, type DetectorService } from './app.js';
export { loadDetectorConfig, detectorServiceSchema, detectorBindings, type DetectorServiceConfig } from './config.js';
export { runDetectorMain } from './main.js';
