// Jest setup for every test file: removes the synth folder shared by the file's test apps.
import { removeTestAppOutdir } from './test-app';

afterAll(() => removeTestAppOutdir());
