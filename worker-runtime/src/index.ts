/**
 * `cdk-spot-worker-fleet-runtime`: what a handler author needs (the Handler contract, the
 * failure classes the run loop reads, the default image → PDF handler and the other built-in
 * handlers). A custom deployment that runs the Worker itself imports `…/deploy` (deploy.ts).
 * Everything else is internal and may change without notice.
 */
export * from './core/handler';
export { PermanentError, InvalidInputError, ObjectGoneError, TransientError, isPermanent } from './core/errors';
export { imageToPdfHandler, IMAGE_TO_PDF_HANDLER_NAME, ImageInputError } from './handlers/image-to-pdf';
export type { ImageToPdfOptions, ImageFailureKind } from './handlers/image-to-pdf';
export { loadModuleHandler } from './handlers/module-handler';
export { createCommandHandler, PERMANENT_EXIT_CODE } from './handlers/command-handler';
export type { CommandHandlerOptions } from './handlers/command-handler';
