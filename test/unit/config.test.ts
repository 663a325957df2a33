import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { checkAllConfig, defineConfig, forgetConfig } from '#platform/config';
import { endpoint } from '#platform/http';
import { defineRoute } from '#platform/route';

const saved = { ...process.env };
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  forgetConfig();
});

const signedInRoute = defineRoute({
  method: 'GET',
  path: '/test/config/',
  handler: 'test/config',
  access: 'signed-in',
  database: false,
  summary: 'A route whose function needs the Cognito settings',
  tags: ['Test'],
  responses: { 200: { description: 'OK' } },
});

describe('configuration checked at cold start', () => {
  it('makes a Lambda function fail to start when its environment lacks a required setting', () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'config-test';
    delete process.env.COGNITO_USER_POOL_ID;
    forgetConfig();
    expect(() => endpoint(signedInRoute, async (_request, reply) => reply(200))).toThrow(/Invalid cognito configuration: COGNITO_USER_POOL_ID/);
  });

  it('starts a Lambda function whose environment is complete, and checks nothing outside Lambda', () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'config-test';
    // Complete: the settings a signed-in route needs (unit tests run without the emulators' environment).
    Object.assign(process.env, { COGNITO_USER_POOL_ID: 'ap-southeast-1_Test', COGNITO_CLIENT_ID: 'test-client' });
    expect(() => endpoint(signedInRoute, async (_request, reply) => reply(200))).not.toThrow();
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    delete process.env.COGNITO_USER_POOL_ID;
    forgetConfig();
    expect(() => endpoint(signedInRoute, async (_request, reply) => reply(200))).not.toThrow();
  });

  // Last: a slice, once defined, stays registered for the rest of this file.
  it('names every problem of every loaded slice at once', () => {
    defineConfig('widgets', z.object({ WIDGET_URL: z.url(), WIDGET_COUNT: z.coerce.number().int() }));
    process.env.WIDGET_URL = 'not a url';
    delete process.env.WIDGET_COUNT;
    expect(() => checkAllConfig()).toThrow(/Invalid widgets configuration: WIDGET_URL: .*; WIDGET_COUNT: /);
  });
});
