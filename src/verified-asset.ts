import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileSystem } from 'aws-cdk-lib';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { zipFolder } from './deterministic-zip';

/** An asset uploaded exactly as it is on disk, with the sha256 of those bytes (checked by the boot script). */
export interface VerifiedAsset {
  readonly asset: s3_assets.Asset;
  /** Hex sha256 of the uploaded object. */
  readonly sha256: string;
}

export function sha256OfFile(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A single file, uploaded as it is. */
export function verifiedFileAsset(scope: Construct, id: string, file: string): VerifiedAsset {
  return { asset: new s3_assets.Asset(scope, id, { path: file }), sha256: sha256OfFile(file) };
}

/**
 * A folder, zipped here (deterministically, src/deterministic-zip.ts) and uploaded as that zip
 * file: a folder asset is zipped by the CDK CLI at publish time, so its bytes are unknown at synth.
 * The zip is cached under the OS temp folder by the folder's fingerprint, so repeated synths of an
 * unchanged bundle do not zip it again.
 */
export function verifiedFolderAsset(scope: Construct, id: string, folder: string): VerifiedAsset {
  const cacheDir = path.join(os.tmpdir(), 'cdk-spot-worker-fleet-zips');
  const zip = path.join(cacheDir, `${FileSystem.fingerprint(folder)}.zip`);
  if (!fs.existsSync(zip)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    // Written under a unique name, then renamed: parallel synths never see half a zip.
    const partial = `${zip}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    fs.writeFileSync(partial, zipFolder(folder));
    fs.renameSync(partial, zip);
  }
  return verifiedFileAsset(scope, id, zip);
}
