import { bulkFixture } from '../elasticsearch/contract.ts'

export default bulkFixture('opensearch')
