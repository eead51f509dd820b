// roslib 2.1's own entry declarations (dist/RosLib.d.ts) re-export './src/RosLib' without a file
// extension, which TypeScript's NodeNext resolution cannot follow; tsconfig.json maps 'roslib' here
// for types only (no .ts or .js file of this name exists, so tsx and Node load the real package).
export * from '../../node_modules/roslib/dist/src/RosLib.ts';
