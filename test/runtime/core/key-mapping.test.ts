import { ConfigError } from '../../../worker-runtime/src/core/errors';
import { KeyMapper } from '../../../worker-runtime/src/core/key-mapping';

describe('KeyMapper', () => {
  const keys = new KeyMapper({ inputPrefix: 'uploads/', outputPrefix: 'processed/' });

  test.each([
    ['uploads/a/x.photo.jpg', 'processed/a/x.photo.jpg.pdf'],
    ['uploads/y.photo.jpg', 'processed/y.photo.jpg.pdf'],
    ['uploads/My Photos/a b.JPG', 'processed/My Photos/a b.JPG.pdf'],
    ['uploads/c+d.jpeg', 'processed/c+d.jpeg.pdf'],
    ['uploads/été/café.jpg', 'processed/été/café.jpg.pdf'],
    ['uploads/deep/ly/nested/f.jpg', 'processed/deep/ly/nested/f.jpg.pdf'],
  ])('%s → %s', (key, out) => {
    expect(keys.outputKey(key, '.pdf')).toBe(out);
  });

  test('no collisions between names that differ only before the extension', () => {
    const outs = ['uploads/x.photo.jpg', 'uploads/y.photo.jpg', 'uploads/x.jpg', 'uploads/x.jpeg', 'uploads/x'].map((k) => keys.outputKey(k, '.pdf'));
    expect(new Set(outs).size).toBe(outs.length);
  });

  test('own outputs, keys outside the input prefix and folder markers are ignored', () => {
    expect(keys.decide('processed/a.jpg.pdf')).toEqual({ process: false, reason: 'own-output' });
    expect(keys.decide('other/a.jpg')).toEqual({ process: false, reason: 'outside-input-prefix' });
    expect(keys.decide('uploadsX/a.jpg')).toEqual({ process: false, reason: 'outside-input-prefix' });
    expect(keys.decide('uploads/folder/')).toEqual({ process: false, reason: 'folder-marker' });
    expect(keys.outputKey('other/a.jpg', '.pdf')).toBeUndefined();
  });

  test('an empty input prefix takes the whole bucket except outputs', () => {
    const all = new KeyMapper({ inputPrefix: '', outputPrefix: 'processed/' });
    expect(all.outputKey('a/b.jpg', '.pdf')).toBe('processed/a/b.jpg.pdf');
    expect(all.decide('processed/a/b.jpg.pdf').process).toBe(false);
  });

  test('an output prefix inside the input prefix does not re-trigger', () => {
    const nested = new KeyMapper({ inputPrefix: 'in/', outputPrefix: 'in/out/' });
    expect(nested.outputKey('in/a.jpg', '.pdf')).toBe('in/out/a.jpg.pdf');
    expect(nested.decide('in/out/a.jpg.pdf')).toEqual({ process: false, reason: 'own-output' });
  });

  test('configurations that would loop or ignore everything are rejected', () => {
    expect(() => new KeyMapper({ inputPrefix: 'x/', outputPrefix: 'x/' })).toThrow(ConfigError);
    expect(() => new KeyMapper({ inputPrefix: 'x/', outputPrefix: '' })).toThrow(/must not be empty/);
    expect(() => new KeyMapper({ inputPrefix: 'out/in/', outputPrefix: 'out/' })).toThrow(/inside the output prefix/);
  });
});
