import * as fs from 'fs';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { RUNTIME_ENV } from './contract/runtime-env';
import { verifiedFileAsset, verifiedFolderAsset } from './verified-asset';

/** Where a handler's files are installed on the instance. */
export const HANDLER_INSTALL_DIR = '/opt/spot-worker-handler';

/** Options of `WorkerHandler.fromModule`. */
export interface ModuleHandlerOptions {
  /**
   * The module file inside the folder, relative to it (e.g. `dist/handler.js`).
   * Required when the path is a folder; not allowed when it is a file.
   *
   * @default - the path itself is the module file
   */
  readonly entry?: string;
}

/** Options of `WorkerHandler.fromCommand`. */
export interface CommandHandlerOptions {
  /**
   * Amazon Linux 2023 packages (dnf) the command needs, installed at boot (e.g. `ImageMagick`, `python3`).
   *
   * @default - none
   */
  readonly osPackages?: string[];

  /**
   * Extension appended to the output key (`SPOT_WORKER_OUTPUT_EXTENSION`), e.g. `.pdf`.
   *
   * @default '.out' (the runtime's default for commands)
   */
  readonly outputExtension?: string;

  /**
   * Content type of the outputs (`SPOT_WORKER_OUTPUT_CONTENT_TYPE`).
   *
   * @default 'application/octet-stream'
   */
  readonly outputContentType?: string;

  /**
   * Longest run of the command for one object (`SPOT_WORKER_COMMAND_TIMEOUT_SECONDS`).
   *
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
}

/** What a handler contributes to the worker's installation and configuration. */
export interface WorkerHandlerConfig {
  /** Value of `SPOT_WORKER_HANDLER`: `image-to-pdf`, `module` or `command`. */
  readonly kind: string;

  /**
   * Extra runtime environment variables (e.g. `SPOT_WORKER_HANDLER_MODULE`).
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * Files to install under `/opt/spot-worker-handler` (a zip asset is unpacked there, a file
   * asset is copied there under its original name).
   *
   * @default - none
   */
  readonly asset?: s3_assets.Asset;

  /**
   * Hex sha256 of the object `asset` uploads; required with `asset`. The boot script checks it
   * before installing the files. For a folder, zip it yourself and pass the zip as a file asset:
   * the CDK CLI zips folder assets at publish time, with bytes unknown at synth.
   *
   * @default - no asset
   */
  readonly assetSha256?: string;

  /**
   * The asset's file name on the instance, for a file asset.
   *
   * @default - the asset is a zip archive and is unpacked
   */
  readonly assetFileName?: string;

  /**
   * Amazon Linux 2023 packages to install with dnf.
   *
   * @default - none
   */
  readonly osPackages?: string[];
}

const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs'];
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const OUTPUT_EXTENSION = RUNTIME_ENV.SPOT_WORKER_OUTPUT_EXTENSION.pattern.regex;
const COMMAND_TIMEOUT = RUNTIME_ENV.SPOT_WORKER_COMMAND_TIMEOUT_SECONDS;

/**
 * What the workers do with each object. The runtime fetches the object, passes it to the handler
 * and writes the result under the output prefix; see the runtime's `Handler` contract.
 */
export abstract class WorkerHandler {
  /** The built-in handler: JPEG → single-page PDF, embedding the original JPEG bytes (no re-encoding). */
  public static imageToPdf(): WorkerHandler {
    return new BuiltInHandler();
  }

  /**
   * A JavaScript module exporting a `Handler` (CommonJS or ESM), shipped as a CDK asset.
   * Compile TypeScript first (e.g. with esbuild or tsc) and pass the `.js` output, or a folder
   * with its dependencies plus `options.entry`.
   *
   * @param modulePath a `.js`/`.mjs`/`.cjs` file, or a folder
   */
  public static fromModule(modulePath: string, options: ModuleHandlerOptions = {}): WorkerHandler {
    return new ModuleHandler(modulePath, options);
  }

  /**
   * An arbitrary command run once per object, for handlers written in any language
   * (see docs/handlers.md for its contract).
   *
   * @param command the command line, e.g. `python3 /opt/convert.py`
   */
  public static fromCommand(command: string, options: CommandHandlerOptions = {}): WorkerHandler {
    return new CommandHandler(command, options);
  }

  /** Called once by the fleet; creates the handler's assets in `scope`. */
  public abstract bind(scope: Construct): WorkerHandlerConfig;
}

class BuiltInHandler extends WorkerHandler {
  public bind(_scope: Construct): WorkerHandlerConfig {
    return { kind: 'image-to-pdf' };
  }
}

class ModuleHandler extends WorkerHandler {
  private readonly modulePath: string;
  private readonly isFolder: boolean;
  private readonly entry: string;

  constructor(modulePath: string, options: ModuleHandlerOptions) {
    super();
    this.modulePath = path.resolve(modulePath);
    if (!fs.existsSync(this.modulePath)) {
      throw new Error(`WorkerHandler.fromModule: '${modulePath}' does not exist. Pass the compiled .js file (or folder) of your handler.`);
    }
    this.isFolder = fs.statSync(this.modulePath).isDirectory();
    if (this.isFolder) {
      if (!options.entry) {
        throw new Error(`WorkerHandler.fromModule: '${modulePath}' is a folder; pass options.entry, the module file inside it (e.g. 'index.js').`);
      }
      const entryPath = path.resolve(this.modulePath, options.entry);
      if (!entryPath.startsWith(this.modulePath + path.sep) || !fs.existsSync(entryPath)) {
        throw new Error(`WorkerHandler.fromModule: entry '${options.entry}' is not a file inside '${modulePath}'.`);
      }
      this.entry = path.relative(this.modulePath, entryPath).split(path.sep).join('/');
    } else {
      if (options.entry) {
        throw new Error(`WorkerHandler.fromModule: '${modulePath}' is a file; options.entry is only for folders.`);
      }
      this.entry = path.basename(this.modulePath);
    }
    if (!MODULE_EXTENSIONS.includes(path.extname(this.entry))) {
      throw new Error(
        `WorkerHandler.fromModule: '${this.entry}' is not a JavaScript module (${MODULE_EXTENSIONS.join(', ')}). ` +
        'Compile TypeScript first (e.g. esbuild --bundle --platform=node) and pass the output.',
      );
    }
  }

  public bind(scope: Construct): WorkerHandlerConfig {
    const { asset, sha256 } = this.isFolder
      ? verifiedFolderAsset(scope, 'HandlerModule', this.modulePath)
      : verifiedFileAsset(scope, 'HandlerModule', this.modulePath);
    return {
      kind: 'module',
      environment: { SPOT_WORKER_HANDLER_MODULE: `${HANDLER_INSTALL_DIR}/${this.entry}` },
      asset,
      assetSha256: sha256,
      assetFileName: this.isFolder ? undefined : this.entry,
    };
  }
}

class CommandHandler extends WorkerHandler {
  constructor(private readonly command: string, private readonly options: CommandHandlerOptions) {
    super();
    if (command.trim() === '') throw new Error('WorkerHandler.fromCommand: the command is empty.');
    if (/[\r\n\0]/.test(command)) {
      throw new Error('WorkerHandler.fromCommand: the command must be a single line; put longer logic in a script and run that.');
    }
    for (const p of options.osPackages ?? []) {
      if (!PACKAGE_NAME.test(p)) throw new Error(`WorkerHandler.fromCommand: '${p}' is not a valid dnf package name.`);
    }
    if (options.outputExtension !== undefined && !OUTPUT_EXTENSION.test(options.outputExtension)) {
      throw new Error(`WorkerHandler.fromCommand: outputExtension '${options.outputExtension}' ${RUNTIME_ENV.SPOT_WORKER_OUTPUT_EXTENSION.pattern.rule}.`);
    }
    if (options.outputContentType !== undefined && !/^[\w.+-]+\/[\w.+-]+(;.*)?$/.test(options.outputContentType)) {
      throw new Error(`WorkerHandler.fromCommand: outputContentType '${options.outputContentType}' is not a media type such as 'application/pdf'.`);
    }
    const timeoutSeconds = options.timeout?.toSeconds();
    if (timeoutSeconds !== undefined && (timeoutSeconds < COMMAND_TIMEOUT.min || timeoutSeconds > COMMAND_TIMEOUT.max)) {
      throw new Error('WorkerHandler.fromCommand: timeout must be between 1 second and 12 hours.');
    }
  }

  public bind(_scope: Construct): WorkerHandlerConfig {
    const environment: { [name: string]: string } = { SPOT_WORKER_HANDLER_COMMAND: this.command };
    if (this.options.outputExtension) environment.SPOT_WORKER_OUTPUT_EXTENSION = this.options.outputExtension;
    if (this.options.outputContentType) environment.SPOT_WORKER_OUTPUT_CONTENT_TYPE = this.options.outputContentType;
    if (this.options.timeout) environment.SPOT_WORKER_COMMAND_TIMEOUT_SECONDS = String(this.options.timeout.toSeconds());
    return { kind: 'command', environment, osPackages: this.options.osPackages };
  }
}
