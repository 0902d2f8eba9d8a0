// Compiles Anchor.sol into the committed Anchor.bin (creation bytecode, hex) and Anchor.abi, reproducibly:
//   npm install --prefix /tmp/solc solc@0.8.28        (a scratch directory outside the repository)
//   NODE_PATH=/tmp/solc/node_modules node anchoring/tools/compile-anchor.cjs
// EVM version paris: no PUSH0 (Shanghai), so the code runs on ganache 7.9.2 and on any post-merge chain.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const EXPECTED_SOLC = '0.8.28+commit.7893614a';
if (solc.version() !== EXPECTED_SOLC + '.Emscripten.clang') {
  throw new Error(`solc ${solc.version()} found, ${EXPECTED_SOLC} expected (npm install solc@0.8.28)`);
}
const dir = path.join(__dirname, '..', 'src', 'main', 'resources', 'io', 'anchormq', 'anchoring', 'chain');
const input = {
  language: 'Solidity',
  sources: { 'Anchor.sol': { content: fs.readFileSync(path.join(dir, 'Anchor.sol'), 'utf8') } },
  settings: {
    evmVersion: 'paris',
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { 'Anchor.sol': { Anchor: ['abi', 'evm.bytecode.object'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === 'error');
if (errors.length > 0) {
  throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
}
const contract = output.contracts['Anchor.sol'].Anchor;
fs.writeFileSync(path.join(dir, 'Anchor.bin'), contract.evm.bytecode.object + '\n');
fs.writeFileSync(path.join(dir, 'Anchor.abi'), JSON.stringify(contract.abi, null, 2) + '\n');
console.log(`Anchor.bin: ${contract.evm.bytecode.object.length / 2} bytes, solc ${solc.version()}, evm paris`);
