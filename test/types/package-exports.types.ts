import { defineApp } from 'runnel';
import { TestDriver } from 'runnel/testing';
export const x: unknown = [defineApp, TestDriver];
